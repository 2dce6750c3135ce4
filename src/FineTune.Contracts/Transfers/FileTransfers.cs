using FineTune.Contracts.V1;
using Grpc.Core;

namespace FineTune.Contracts.Transfers;

/// <summary>
/// The two loops every side runs: files out as <see cref="FileChunks"/> into a stream (an upload's client stream, a
/// download's server stream), and a stream of chunks into a <see cref="FileChunkReceiver"/> (the CLI's download, a
/// worker's blobs and shards).
/// </summary>
public static class FileTransfers
{
    /// <summary>
    /// Every chunk of <paramref name="chunks"/> into the receiver until the stream ends (a stream that ends in the middle of a
    /// file is refused: <see cref="FileChunkReceiver.End"/>); returns the files received whole, in order.
    /// </summary>
    public static async Task<IReadOnlyList<ReceivedFile>> ReceiveAsync(IAsyncStreamReader<FileChunk> chunks, FileChunkReceiver receiver, CancellationToken cancel = default)
    {
        var files = new List<ReceivedFile>();
        while (await chunks.MoveNext(cancel))
            if (await receiver.AddAsync(chunks.Current, cancel) is { } file) files.Add(file);
        receiver.End();
        return files;
    }

    /// <summary>The files' chunks, one file after another, each wrapped into the stream's message.</summary>
    public static async Task SendAsync<T>(IAsyncStreamWriter<T> stream, IEnumerable<FolderFile> files, Func<FileChunk, T> wrap, CancellationToken cancel = default)
    {
        foreach (var file in files)
            foreach (var chunk in FileChunks.Read(file.Path, file.Name))
                await stream.WriteAsync(wrap(chunk), cancel);
    }

    /// <inheritdoc cref="SendAsync{T}"/>
    public static Task SendAsync(IAsyncStreamWriter<FileChunk> stream, IEnumerable<FolderFile> files, CancellationToken cancel = default) =>
        SendAsync(stream, files, chunk => chunk, cancel);

    /// <summary>An upload: the files' chunks into a client stream, which is then completed.</summary>
    public static async Task UploadAsync<T>(IClientStreamWriter<T> stream, IEnumerable<FolderFile> files, Func<FileChunk, T> wrap, CancellationToken cancel = default)
    {
        await SendAsync(stream, files, wrap, cancel);
        await stream.CompleteAsync();
    }

    /// <inheritdoc cref="UploadAsync{T}"/>
    public static Task UploadAsync(IClientStreamWriter<FileChunk> stream, IEnumerable<FolderFile> files, CancellationToken cancel = default) =>
        UploadAsync(stream, files, chunk => chunk, cancel);
}
