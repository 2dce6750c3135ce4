using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Core.Tests.Data;
using static FineTune.Core.Tests.Transfers.TransferData;

namespace FineTune.Core.Tests.Transfers;

/// <summary>The two loops: files sent as chunks into a stream, and a stream of chunks received into files.</summary>
public class FileTransfersTests
{
    [Fact]
    public async Task A_stream_of_chunks_lands_as_checked_files()
    {
        var dir = DataFixtures.TempDir();
        var big = Bytes(FileChunks.Size + 77, 1);
        var small = Bytes(12, 2);
        using var receiver = new FileChunkReceiver(dir, 1L << 30);

        var files = await FileTransfers.ReceiveAsync(new ListReader<FileChunk>(Chunks(big, "model.safetensors").Concat(Chunks(small, "config.json"))), receiver);

        Assert.Equal(["model.safetensors", "config.json"], files.Select(f => f.Name));
        Assert.Equal(big, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.Equal(small, File.ReadAllBytes(Path.Combine(dir, "config.json")));
        Assert.Equal(2, Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task A_stream_that_ends_mid_file_leaves_nothing()
    {
        var dir = DataFixtures.TempDir();
        using var receiver = new FileChunkReceiver(dir, 1L << 30);
        var chunks = Chunks(Bytes(FileChunks.Size * 2 + 5, 3), "model.safetensors");

        var e = await Assert.ThrowsAsync<FileTransferException>(() => FileTransfers.ReceiveAsync(new ListReader<FileChunk>(chunks.Take(2)), receiver));

        Assert.Equal(TransferProblem.Incomplete, e.Problem);
        Assert.Empty(Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories)); // no file, no temporary
    }

    [Fact]
    public async Task An_upload_wraps_each_chunk_and_completes_the_stream()
    {
        var source = DataFixtures.TempDir();
        File.WriteAllBytes(Path.Combine(source, "model.safetensors"), Bytes(FileChunks.Size + 1, 4));
        File.WriteAllBytes(Path.Combine(source, "config.json"), Bytes(20, 5));
        File.WriteAllBytes(Path.Combine(source, ".model.safetensors.tmp"), Bytes(20, 6)); // a temporary: never sent
        var stream = new ListWriter<ResultChunk>();

        await FileTransfers.UploadAsync(stream, FolderFiles.List(source), chunk => new ResultChunk { JobId = "job-1", Chunk = chunk });

        Assert.True(stream.Completed);
        Assert.All(stream.Written, r => Assert.Equal("job-1", r.JobId));
        Assert.Equal(["config.json", "model.safetensors", "model.safetensors"], stream.Written.Select(r => r.Chunk.Name));
        // What was sent is received whole by the one receiver.
        var target = DataFixtures.TempDir();
        using var receiver = new FileChunkReceiver(target, 1L << 30);
        await FileTransfers.ReceiveAsync(new ListReader<FileChunk>(stream.Written.Select(r => r.Chunk)), receiver);
        foreach (var name in new[] { "config.json", "model.safetensors" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(source, name)), File.ReadAllBytes(Path.Combine(target, name)));
    }
}
