using System.Security.Cryptography;
using FineTune.Contracts.Transfers;
using FineTune.Core;

namespace FineTune.Coordinator.Jobs;

/// <summary>Files stored by their SHA-256 (model files, tokenized datasets), written once, atomically (AtomicFile).</summary>
public sealed class BlobStore(CoordinatorOptions options)
{
    public string PathOf(string sha256) => Path.Combine(options.BlobsDir, sha256);

    public (string Sha256, long Size) Put(string sourcePath)
    {
        string sha;
        using (var stream = File.OpenRead(sourcePath)) sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        var target = PathOf(sha);
        if (!File.Exists(target))
        {
            Directory.CreateDirectory(options.BlobsDir);
            AtomicFile.Copy(sourcePath, target);
        }
        return (sha, new FileInfo(target).Length);
    }

    public (string Sha256, long Size) Put(byte[] bytes)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var target = PathOf(sha);
        if (!File.Exists(target))
        {
            Directory.CreateDirectory(options.BlobsDir);
            AtomicFile.WriteAllBytes(target, bytes);
        }
        return (sha, bytes.LongLength);
    }

    public bool IsValidHash(string sha256) => sha256.Length == 64 && sha256.All(Uri.IsHexDigit);
}
