using System.Security.Cryptography;
using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Core;

namespace FineTune.Worker;

/// <summary>
/// The worker's blobs (model files, checkpoint files, eval shards) under <c>DATA-DIR/blobs/SHA256</c>: fetched from the
/// coordinator with FetchBlob once (each checked against the SHA-256 it was asked by, written aside and renamed into
/// place), then assembled into folders (AtomicFolder).
/// </summary>
sealed class BlobCache(Cluster.ClusterClient client, string workerId, string dataDir)
{
    /// <summary>A model folder, one per distinct set of model files.</summary>
    public string ModelFolder(IReadOnlyCollection<Contracts.V1.Blob> files, CancellationToken cancel)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join(",", files.Select(f => f.Name + "=" + f.Sha256)))))[..16];
        return Folder(files, Path.Combine(dataDir, "models", key), cancel);
    }

    /// <summary>A folder of blobs (a model, a checkpoint), assembled aside and renamed into place once complete.</summary>
    public string Folder(IEnumerable<Contracts.V1.Blob> files, string folder, CancellationToken cancel) =>
        AtomicFolder.Ensure(folder, temp =>
        {
            foreach (var f in files) File.Copy(Fetch(f, cancel), Path.Combine(temp, Path.GetFileName(f.Name)));
        });

    /// <summary>A blob from the local cache, or fetched from the coordinator and checked against its SHA-256.</summary>
    public string Fetch(Contracts.V1.Blob blob, CancellationToken cancel)
    {
        var dir = Path.Combine(dataDir, "blobs");
        var path = Path.Combine(dir, blob.Sha256);
        if (File.Exists(path)) return path;
        // The coordinator names the chunks by the hash asked for: only that name, that size and that hash are taken.
        using var receiver = new FileChunkReceiver(dir, blob.Size) { Accept = name => name == blob.Sha256, ExpectedSha256 = _ => blob.Sha256 };
        using var call = client.FetchBlob(new FetchBlobRequest { Sha256 = blob.Sha256, WorkerId = workerId }, cancellationToken: cancel);
        FileTransfers.ReceiveAsync(call.ResponseStream, receiver, cancel).GetAwaiter().GetResult();
        return File.Exists(path) ? path : throw new InvalidDataException($"blob {blob.Name}: the coordinator sent no file");
    }
}
