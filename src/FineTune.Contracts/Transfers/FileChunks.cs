using System.Security.Cryptography;
using FineTune.Contracts.V1;
using Google.Protobuf;

namespace FineTune.Contracts.Transfers;

/// <summary>
/// A file as the wire carries it: 1 MiB FileChunks named <c>name</c>, the SHA-256 of the whole file on the last one.
/// The hash is computed while reading, so each file is read once. Every sender (blobs, uploads, results, downloads) uses this.
/// </summary>
public static class FileChunks
{
    public const int Size = 1 << 20;

    public static IEnumerable<FileChunk> Read(string path, string name)
    {
        using var stream = File.OpenRead(path);
        foreach (var chunk in Read(stream, name)) yield return chunk;
    }

    /// <summary>The same for any seekable stream (bytes in memory, say), from its current position to its end.</summary>
    public static IEnumerable<FileChunk> Read(Stream stream, string name)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[Size];
        long offset = 0;
        do
        {
            int n = stream.Read(buffer);
            hash.AppendData(buffer, 0, n);
            bool last = stream.Position >= stream.Length;
            yield return new FileChunk { Name = name, Data = ByteString.CopyFrom(buffer, 0, n), Offset = offset, Last = last, Sha256 = last ? Convert.ToHexStringLower(hash.GetHashAndReset()) : "" };
            offset += n;
        } while (stream.Position < stream.Length);
    }
}
