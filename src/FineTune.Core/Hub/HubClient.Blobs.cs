using System.Net;
using System.Security.Cryptography;

namespace FineTune.Core.Hub;

public sealed partial class HubClient
{
    /// <summary>
    /// A blob into the cache: under a lock per blob (<c>.locks/REPO/ETAG.lock</c>, as huggingface_hub takes one), so two
    /// processes fetching the same file end with one blob and one download; into <c>ETAG.incomplete</c>, resumed with
    /// Range from what is there, retried while the budget lasts; checked against the etag, then renamed into place.
    /// A blob whose bytes do not match is deleted and refused.
    /// </summary>
    async Task FetchBlobAsync(HubFile file, Action<long, long>? progress, CancellationToken cancel)
    {
        var blob = Cache.BlobPath(file.Repo, file.Etag);
        var lockPath = Path.Combine(Cache.Root, ".locks", file.Repo.CacheFolder, file.Etag + ".lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        using var held = await LockAsync(lockPath, cancel);
        if (File.Exists(blob)) return; // another process fetched it while this one waited
        var partial = Cache.IncompletePath(file.Repo, file.Etag);
        string? sha256 = null;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                sha256 = await ReceiveAsync(file, partial, progress, cancel);
                break;
            }
            catch (IOException e) when (e is not HubUnavailableException && attempt < RetryDelays.Count && !cancel.IsCancellationRequested)
            {
                await Task.Delay(RetryDelays[attempt], cancel); // cut mid-file: the next attempt asks for the rest
            }
        }
        // An LFS blob's SHA-256 was computed as it arrived; any other etag (git SHA-1) is checked on the file.
        if (!(sha256 is not null && file.Etag.Length == 64 ? sha256 == file.Etag : HubCache.Matches(partial, file.Etag)))
        {
            File.Delete(partial);
            throw new HubUnavailableException($"{file.Repo}@{file.Revision} {file.Path}: the bytes received do not match the hub's etag {file.Etag}: refused and deleted");
        }
        File.Move(partial, blob);
    }

    /// <summary>
    /// One GET into the partial file: from where it stops (Range), or from the start when the server sends all.
    /// Returns the SHA-256 of the whole file, hashed as it is written (saves re-reading a large blob), or null when
    /// there was nothing to receive.
    /// </summary>
    async Task<string?> ReceiveAsync(HubFile file, string partial, Action<long, long>? progress, CancellationToken cancel)
    {
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (have > file.Size) have = 0; // not this file's beginning: start over
        if (have == file.Size && file.Size > 0) return null;
        var (response, _) = await SendAsync(HttpMethod.Get, file.Download, have, followAbsolute: true, cancel);
        using var answer = response;
        bool resumed = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (resumed)
        {
            await using var before = File.OpenRead(partial); // what the cut attempt left: hashed again, chunk by chunk
            var chunk = new byte[1 << 20];
            int k;
            while ((k = await before.ReadAsync(chunk, cancel)) > 0) sha.AppendData(chunk, 0, k);
        }
        await using var output = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        long received = resumed ? have : 0;
        await using var input = await response.Content.ReadAsStreamAsync(cancel);
        var buffer = new byte[1 << 20];
        int n;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        while (true)
        {
            idle.CancelAfter(TimeSpan.FromSeconds(60)); // a stalled connection is a failure to retry, not a wait forever
            try
            {
                n = await input.ReadAsync(buffer, idle.Token);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                throw new IOException($"{file.Download}: no data for 60 s");
            }
            if (n == 0) break;
            await output.WriteAsync(buffer.AsMemory(0, n), cancel);
            sha.AppendData(buffer, 0, n);
            received += n;
            progress?.Invoke(received, file.Size);
        }
        if (received != file.Size) throw new IOException($"{file.Download}: the download stopped at {received} of {file.Size} bytes");
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>An exclusive lock on a file (flock on Unix: another process waits for it), polled until it is free.</summary>
    static async Task<FileStream> LockAsync(string path, CancellationToken cancel)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (!cancel.IsCancellationRequested)
            {
                await Task.Delay(100, cancel);
            }
        }
    }

    public void Dispose() => http.Dispose();
}
