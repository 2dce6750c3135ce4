using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Core.Tests.Data;
using Google.Protobuf;
using static FineTune.Core.Tests.Transfers.TransferData;

namespace FineTune.Core.Tests.Transfers;

/// <summary>The one receiver of chunked files, fed by the one sender (FileChunks), without processes.</summary>
public class FileChunkReceiverTests
{
    /// <summary>Everything in the folder, temporary files included (hidden names too).</summary>
    static string[] Everything(string dir) => Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories);

    static FileTransferException Refused(FileChunkReceiver receiver, IEnumerable<FileChunk> chunks)
    {
        return Assert.Throws<FileTransferException>(() =>
        {
            foreach (var chunk in chunks) receiver.Add(chunk);
            receiver.End();
        });
    }

    [Fact]
    public void A_stream_of_several_files_lands_whole_and_verified()
    {
        var dir = DataFixtures.TempDir();
        var big = Bytes(FileChunks.Size * 2 + 123, 1); // three chunks
        var small = Bytes(10, 2);
        using var receiver = new FileChunkReceiver(dir, 1L << 30);
        var received = new List<ReceivedFile>();
        foreach (var chunk in Chunks(big, "model.safetensors").Concat(Chunks(small, "config.json")).Concat(Chunks([], "empty.txt")))
            if (receiver.Add(chunk) is { } file) received.Add(file);
        receiver.End();

        Assert.Equal(["model.safetensors", "config.json", "empty.txt"], received.Select(f => f.Name));
        Assert.Equal(big, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.Equal(small, File.ReadAllBytes(Path.Combine(dir, "config.json")));
        Assert.Empty(File.ReadAllBytes(Path.Combine(dir, "empty.txt")));
        Assert.Equal(big.Length, received[0].Size);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(big)), received[0].Sha256);
        Assert.Equal(3, Everything(dir).Length); // no temporary files left
    }

    [Fact]
    public void Subfolders_and_memory_receivers()
    {
        var dir = DataFixtures.TempDir();
        var bytes = Bytes(5000, 3);
        using (var receiver = new FileChunkReceiver(dir, 1 << 20) { Subfolders = true })
            foreach (var chunk in Chunks(bytes, "abc/sub/data.jsonl")) receiver.Add(chunk);
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(dir, "abc", "sub", "data.jsonl")));

        using var memory = new FileChunkReceiver(null, 1 << 20);
        var file = Chunks(bytes, "epoch-0-rank-0.shard").Select(c => memory.Add(c)).Last();
        Assert.NotNull(file);
        Assert.Null(file.Path);
        using var read = new MemoryStream();
        file.OpenRead().CopyTo(read);
        Assert.Equal(bytes, read.ToArray());
    }

    [Theory]
    [InlineData(-1)] // an overlap: the second chunk starts 1 byte early
    [InlineData(1)]  // a gap: 1 byte skipped
    public void A_chunk_at_the_wrong_offset_is_refused_and_nothing_is_left(int shift)
    {
        var dir = DataFixtures.TempDir();
        var chunks = Chunks(Bytes(FileChunks.Size + 10, 4), "model.safetensors");
        chunks[1].Offset += shift;
        using var receiver = new FileChunkReceiver(dir, 1L << 30);
        var e = Refused(receiver, chunks);
        Assert.Equal(TransferProblem.BadOffset, e.Problem);
        Assert.Equal($"model.safetensors: chunk at offset {FileChunks.Size + shift}, expected {FileChunks.Size}", e.Message);
        Assert.Empty(Everything(dir));
    }

    [Fact]
    public void A_wrong_sha256_is_refused_and_nothing_is_left()
    {
        var dir = DataFixtures.TempDir();
        var chunks = Chunks(Bytes(3000, 5), "config.json");
        chunks[^1].Sha256 = new string('0', 64);
        using var receiver = new FileChunkReceiver(dir, 1L << 30);
        var e = Refused(receiver, chunks);
        Assert.Equal(TransferProblem.ChecksumMismatch, e.Problem);
        Assert.StartsWith($"config.json: checksum mismatch (sent {new string('0', 64)}, received ", e.Message);
        Assert.Empty(Everything(dir));
    }

    [Fact]
    public void A_hash_other_than_the_expected_one_is_refused()
    {
        var dir = DataFixtures.TempDir();
        var name = new string('a', 64);
        using var receiver = new FileChunkReceiver(dir, 1L << 30) { ExpectedSha256 = n => n };
        var e = Refused(receiver, Chunks(Bytes(100, 6), name)); // consistent with itself, but not the blob asked for
        Assert.Equal(TransferProblem.ChecksumMismatch, e.Problem);
        Assert.Contains($"(expected {name}, received ", e.Message);
        Assert.Empty(Everything(dir));
    }

    [Fact]
    public void A_file_over_the_cap_is_refused_and_nothing_is_left()
    {
        var dir = DataFixtures.TempDir();
        using var receiver = new FileChunkReceiver(dir, FileChunks.Size + 5);
        var e = Refused(receiver, Chunks(Bytes(FileChunks.Size + 6, 7), "model.safetensors"));
        Assert.Equal(TransferProblem.TooLarge, e.Problem);
        Assert.Equal($"model.safetensors: larger than the limit of {FileChunks.Size + 5} bytes", e.Message);
        Assert.Empty(Everything(dir));
    }

    [Fact]
    public void A_stream_that_ends_before_the_last_chunk_leaves_nothing()
    {
        var dir = DataFixtures.TempDir();
        var first = Chunks(Bytes(50, 8), "config.json");
        var second = Chunks(Bytes(FileChunks.Size * 2, 9), "model.safetensors");
        using var receiver = new FileChunkReceiver(dir, 1L << 30);
        var e = Refused(receiver, first.Concat(second.Take(1)));
        Assert.Equal(TransferProblem.Incomplete, e.Problem);
        Assert.Equal("model.safetensors: the stream ended before its last chunk", e.Message);
        Assert.Equal([Path.Combine(dir, "config.json")], Everything(dir)); // the complete first file only: no temporary, no target
    }

    [Fact]
    public void A_receiver_disposed_mid_file_leaves_nothing()
    {
        var dir = DataFixtures.TempDir();
        using (var receiver = new FileChunkReceiver(dir, 1L << 30))
            receiver.Add(Chunks(Bytes(FileChunks.Size * 2, 10), "model.safetensors")[0]);
        Assert.Empty(Everything(dir));
    }

    [Theory]
    [InlineData("../escape.txt", true)]
    [InlineData("abc/../../escape.txt", true)]
    [InlineData("/etc/passwd", true)]
    [InlineData("..", false)]
    [InlineData(".hidden", false)]
    [InlineData("a\\b", false)]
    [InlineData("", false)]
    [InlineData("sub/file.txt", false)] // plain names only unless Subfolders
    public void A_name_that_could_leave_the_folder_is_refused(string name, bool subfolders)
    {
        var dir = DataFixtures.TempDir();
        using var receiver = new FileChunkReceiver(dir, 1L << 30) { Subfolders = subfolders };
        var e = Refused(receiver, Chunks(Bytes(10, 11), name));
        Assert.Equal(TransferProblem.BadName, e.Problem);
        Assert.Equal($"invalid file name '{name}'", e.Message);
        Assert.Empty(Everything(dir));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(dir)!, "escape.txt")));
    }

    [Fact]
    public async Task The_async_path_checks_the_same()
    {
        var dir = DataFixtures.TempDir();
        var chunks = Chunks(Bytes(FileChunks.Size + 1, 12), "model.safetensors");
        using var receiver = new FileChunkReceiver(dir, 1L << 30);
        chunks[1].Data = ByteString.CopyFrom([(byte)(chunks[1].Data[0] ^ 0xff)]); // same length, another byte
        await receiver.AddAsync(chunks[0]);
        var e = await Assert.ThrowsAsync<FileTransferException>(async () => await receiver.AddAsync(chunks[1]));
        Assert.Equal(TransferProblem.ChecksumMismatch, e.Problem);
        Assert.Empty(Everything(dir));
    }
}
