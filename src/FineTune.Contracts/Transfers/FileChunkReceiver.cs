using System.Security.Cryptography;
using FineTune.Contracts.V1;

namespace FineTune.Contracts.Transfers;

/// <summary>What was wrong with a received file; each service maps it to its status code.</summary>
public enum TransferProblem
{
    /// <summary>The name is not a safe relative path (or the receiver's own rule refused it).</summary>
    BadName,
    /// <summary>A chunk's offset is not the number of bytes received so far (a gap, an overlap, a reordering).</summary>
    BadOffset,
    /// <summary>The file is larger than the receiver's cap.</summary>
    TooLarge,
    /// <summary>The SHA-256 of the bytes received is not the one sent on the last chunk (or the one expected).</summary>
    ChecksumMismatch,
    /// <summary>The stream ended in the middle of a file.</summary>
    Incomplete,
}

/// <summary>What a refused transfer means to the peer that sent it.</summary>
public static class TransferProblems
{
    /// <summary>The gRPC status for <paramref name="problem"/>: DATA_LOSS (send it again), RESOURCE_EXHAUSTED (too large),
    /// else INVALID_ARGUMENT (the request itself was wrong). Every receiving service answers with this.</summary>
    public static Grpc.Core.StatusCode StatusCode(this TransferProblem problem) => problem switch
    {
        TransferProblem.ChecksumMismatch => Grpc.Core.StatusCode.DataLoss,
        TransferProblem.TooLarge => Grpc.Core.StatusCode.ResourceExhausted,
        _ => Grpc.Core.StatusCode.InvalidArgument,
    };
}

/// <summary>A refused file: <see cref="Exception.Message"/> is one line naming the file and the problem.</summary>
public sealed class FileTransferException(string file, TransferProblem problem, string message) : IOException(message)
{
    public string File { get; } = file;
    public TransferProblem Problem { get; } = problem;
}

/// <summary>A file received whole and verified: on disk at <see cref="Path"/>, or in memory.</summary>
public sealed class ReceivedFile(string name, long size, string sha256, string? path, MemoryStream? bytes)
{
    public string Name { get; } = name;
    public long Size { get; } = size;
    public string Sha256 { get; } = sha256;
    /// <summary>Where the file now lies; null for a receiver that keeps files in memory.</summary>
    public string? Path { get; } = path;

    public Stream OpenRead() => Path is not null ? File.OpenRead(Path) : new MemoryStream(bytes!.GetBuffer(), 0, (int)Size, writable: false);
}

/// <summary>
/// The one receiver of chunked files (the sender is <see cref="FileChunks"/>): feed it a stream's
/// <see cref="FileChunk"/>s, one file after another (a file ends with a chunk with <c>last</c> set). For each file it
/// checks the name (a relative path under the folder: no empty, '.'-leading or '\' parts, so no '..'), that every
/// chunk's offset is the number of bytes received so far, the size cap, and on the last chunk the SHA-256; the bytes go
/// to a temporary file beside the target (<see cref="AtomicFile.Create"/>) renamed into place only once verified. Any
/// error, <see cref="End"/> in the middle of a file, or <see cref="Dispose"/> deletes the file in progress.
/// Not thread-safe: one stream, one receiver.
/// </summary>
public sealed class FileChunkReceiver : IDisposable
{
    readonly string? folder;
    readonly long maxBytes;
    readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    string? name;
    long received;
    AtomicFile.Writer? file;
    MemoryStream? memory;

    /// <param name="folder">Where the files go (names are relative to it); null keeps each file in memory.</param>
    /// <param name="maxBytes">The most bytes one file may have.</param>
    public FileChunkReceiver(string? folder, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        this.folder = folder is null ? null : Path.GetFullPath(folder);
        this.maxBytes = folder is null ? Math.Min(maxBytes, Array.MaxLength) : maxBytes;
    }

    /// <summary>Names with more than one part ("ID/sub/file.txt") land in subfolders; false: plain file names only.</summary>
    public bool Subfolders { get; init; }

    /// <summary>A further rule on names (a refused name is <see cref="TransferProblem.BadName"/>).</summary>
    public Predicate<string>? Accept { get; init; }

    /// <summary>The SHA-256 a name must have whatever the sender says (a blob fetched by its hash); null: the sender's.</summary>
    public Func<string, string?>? ExpectedSha256 { get; init; }

    /// <summary>Takes one chunk; returns the file when this chunk completed it.</summary>
    public ReceivedFile? Add(FileChunk chunk)
    {
        try
        {
            var stream = Begin(chunk);
            stream.Write(chunk.Data.Span);
            return Written(chunk);
        }
        catch
        {
            Discard();
            throw;
        }
    }

    /// <inheritdoc cref="Add"/>
    public async ValueTask<ReceivedFile?> AddAsync(FileChunk chunk, CancellationToken cancel = default)
    {
        try
        {
            var stream = Begin(chunk);
            await stream.WriteAsync(chunk.Data.Memory, cancel);
            return Written(chunk);
        }
        catch
        {
            Discard();
            throw;
        }
    }

    /// <summary>The stream ended: fine between files; in the middle of one, that file is deleted and refused.</summary>
    public void End()
    {
        if (name is null) return;
        var incomplete = name;
        Discard();
        throw new FileTransferException(incomplete, TransferProblem.Incomplete, $"{incomplete}: the stream ended before its last chunk");
    }

    public void Dispose()
    {
        Discard();
        hash.Dispose();
    }

    /// <summary>Checks the chunk against the file in progress (starting one on a first chunk); returns where to write.</summary>
    Stream Begin(FileChunk chunk)
    {
        if (name is null)
        {
            var target = Target(chunk.Name);
            name = chunk.Name;
            received = 0;
            if (target is null)
            {
                memory = new MemoryStream();
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                file = AtomicFile.Create(target);
            }
        }
        else if (chunk.Name.Length > 0 && chunk.Name != name)
        {
            throw new FileTransferException(name, TransferProblem.BadName, $"{name}: a chunk of '{chunk.Name}' arrived before its last chunk");
        }
        if (chunk.Offset != received)
            throw new FileTransferException(name, TransferProblem.BadOffset, $"{name}: chunk at offset {chunk.Offset}, expected {received}");
        if (received + chunk.Data.Length > maxBytes)
            throw new FileTransferException(name, TransferProblem.TooLarge, $"{name}: larger than the limit of {maxBytes} bytes");
        return (Stream?)file?.Stream ?? memory!;
    }

    ReceivedFile? Written(FileChunk chunk)
    {
        received += chunk.Data.Length;
        hash.AppendData(chunk.Data.Span);
        if (!chunk.Last) return null;
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        var done = name!;
        if (actual != chunk.Sha256)
            throw new FileTransferException(done, TransferProblem.ChecksumMismatch, $"{done}: checksum mismatch (sent {chunk.Sha256}, received {actual})");
        if (ExpectedSha256?.Invoke(done) is { } expected && actual != expected)
            throw new FileTransferException(done, TransferProblem.ChecksumMismatch, $"{done}: checksum mismatch (expected {expected}, received {actual})");
        string? path = null;
        if (file is not null)
        {
            file.Commit();
            path = file.Target;
            file.Dispose();
            file = null;
        }
        var bytes = memory;
        memory = null;
        name = null;
        return new ReceivedFile(done, received, actual, path, bytes);
    }

    /// <summary>The full path for a name, or null in memory; refuses a name that could leave the folder.</summary>
    string? Target(string candidate)
    {
        var parts = candidate.Split('/');
        bool valid = (Subfolders || parts.Length == 1)
            && parts.All(p => p.Length > 0 && !p.StartsWith('.') && !p.Contains('\\') && !p.Contains('\0'))
            && (Accept?.Invoke(candidate) ?? true);
        if (!valid) throw new FileTransferException(candidate, TransferProblem.BadName, $"invalid file name '{candidate}'");
        return folder is null ? null : Path.Combine([folder, .. parts]);
    }

    void Discard()
    {
        file?.Dispose(); // uncommitted: deletes the temporary file
        file = null;
        memory?.Dispose();
        memory = null;
        name = null;
        hash.GetHashAndReset();
    }
}
