using System.Buffers.Binary;
using FineTune.Core.Data;

namespace FineTune.Core.Sharding;

/// <summary>
/// One rank's training data for (the rest of) one epoch: the examples and the update windows whose micro-batches index
/// into them. In one process the examples are the whole training set; what a worker receives holds only its own
/// examples, in training order.
/// </summary>
public sealed record EpochShard(TokenizedDataset Examples, IReadOnlyList<UpdateWindow> Windows)
{
    /// <summary>Just the windows' examples of <paramref name="train"/>, in order, with the windows renumbered to match.</summary>
    public static EpochShard Compact(TokenizedDataset train, IReadOnlyList<UpdateWindow> windows)
    {
        var indices = windows.SelectMany(w => w.MicroBatches).SelectMany(m => m).ToArray();
        int next = 0;
        var renumbered = windows.Select(w => new UpdateWindow(
            w.MicroBatches.Select(m => Enumerable.Range((next += m.Length) - m.Length, m.Length).ToArray()).ToList(), w.GlobalExamples)).ToList();
        return new EpochShard(train.Select(indices), renumbered);
    }

    // The wire form of a compacted shard. Little-endian:
    //   "FTES" | version (int32) = 1 | windows (int32) | per window: global examples (int32), micro-batches (int32),
    //   each micro-batch's size (int32 x micro-batches) | the examples as a TokenizedDataset (FTTD)
    static ReadOnlySpan<byte> Magic => "FTES"u8;
    const int Version = 1;

    /// <summary>Writes a compacted shard (micro-batches numbered 0, 1, 2, ... in order, as <see cref="Compact"/> makes them).</summary>
    public void Write(Stream stream)
    {
        var header = new List<int> { Version, Windows.Count };
        int expected = 0;
        foreach (var w in Windows)
        {
            header.Add(w.GlobalExamples);
            header.Add(w.MicroBatches.Count);
            foreach (var m in w.MicroBatches)
            {
                for (int k = 0; k < m.Length; k++)
                    if (m[k] != expected++) throw new InvalidOperationException("only a compacted shard (examples in window order) can be written");
                header.Add(m.Length);
            }
        }
        if (expected != Examples.Count) throw new InvalidOperationException($"the windows hold {expected} examples, the shard {Examples.Count}");
        var bytes = new byte[4 + header.Count * 4];
        Magic.CopyTo(bytes);
        for (int i = 0; i < header.Count; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 + i * 4), header[i]);
        stream.Write(bytes);
        Examples.Write(stream);
    }

    /// <summary>Reads what <see cref="Write"/> wrote; a damaged or foreign stream throws InvalidDataException.</summary>
    public static EpochShard Read(Stream stream)
    {
        var magic = new byte[4];
        ReadExactly(stream, magic);
        if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("not an epoch shard (expected 'FTES')");
        int version = ReadInt(stream);
        if (version != Version) throw new InvalidDataException($"epoch shard version {version}; this build reads version {Version}");
        int count = ReadInt(stream);
        if (count < 0) throw new InvalidDataException($"epoch shard header is damaged ({count} windows)");
        var windows = new List<UpdateWindow>(Math.Min(count, 1 << 20));
        int next = 0;
        for (int w = 0; w < count; w++)
        {
            int global = ReadInt(stream), micros = ReadInt(stream);
            if (micros < 0 || global < 0) throw new InvalidDataException($"epoch shard window {w} is damaged");
            var batches = new List<int[]>(Math.Min(micros, 1 << 16));
            for (int m = 0; m < micros; m++)
            {
                int size = ReadInt(stream);
                if (size < 0 || size > global) throw new InvalidDataException($"epoch shard window {w} is damaged (micro-batch of {size} in a window of {global})");
                batches.Add(Enumerable.Range(next, size).ToArray());
                next += size;
            }
            windows.Add(new UpdateWindow(batches, global));
        }
        var examples = TokenizedDataset.Read(stream);
        if (examples.Count != next) throw new InvalidDataException($"epoch shard windows hold {next} examples, its data {examples.Count}");
        return new EpochShard(examples, windows);
    }

    static int ReadInt(Stream stream)
    {
        Span<byte> b = stackalloc byte[4];
        ReadExactly(stream, b);
        return BinaryPrimitives.ReadInt32LittleEndian(b);
    }

    static void ReadExactly(Stream stream, Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("epoch shard is truncated");
        }
    }
}
