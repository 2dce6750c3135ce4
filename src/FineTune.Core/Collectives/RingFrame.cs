using System.Buffers.Binary;

namespace FineTune.Core.Collectives;

enum RingOp : ushort
{
    AllReduceSum = 1,
    Broadcast = 2,
    Barrier = 3,
}

/// <summary>
/// The 40-byte header in front of every chunk on the data plane: which call (operation and sequence number), which
/// step of the ring, where in the buffer and how long. The receiver knows exactly what it expects next, so a peer
/// that called a different collective, a different buffer size or got out of step is reported, never summed in.
/// Layout (little-endian): magic u32, op u16, root u16, step i32, count i32, sequence u64, offset i64, total i64.
/// </summary>
readonly record struct RingFrame(RingOp Op, ushort Root, int Step, int Count, ulong Sequence, long Offset, long Total)
{
    public const int Size = 40;
    const uint Magic = 0x52465446; // "FTFR"

    public void Write(Span<byte> to)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(to, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(to[4..], (ushort)Op);
        BinaryPrimitives.WriteUInt16LittleEndian(to[6..], Root);
        BinaryPrimitives.WriteInt32LittleEndian(to[8..], Step);
        BinaryPrimitives.WriteInt32LittleEndian(to[12..], Count);
        BinaryPrimitives.WriteUInt64LittleEndian(to[16..], Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(to[24..], Offset);
        BinaryPrimitives.WriteInt64LittleEndian(to[32..], Total);
    }

    /// <summary>Null when the bytes do not start with the frame magic (not a frame of this protocol).</summary>
    public static RingFrame? Read(ReadOnlySpan<byte> from)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(from) != Magic) return null;
        return new RingFrame(
            (RingOp)BinaryPrimitives.ReadUInt16LittleEndian(from[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(from[6..]),
            BinaryPrimitives.ReadInt32LittleEndian(from[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(from[12..]),
            BinaryPrimitives.ReadUInt64LittleEndian(from[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(from[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(from[32..]));
    }

    /// <summary>Why <paramref name="got"/> is not the <paramref name="expected"/> frame, or null when it is.</summary>
    public static string? Mismatch(RingFrame got, RingFrame expected)
    {
        if (got.Sequence != expected.Sequence || got.Op != expected.Op)
            return $"the peer is at collective call #{got.Sequence} ({got.Op}), this rank at #{expected.Sequence} ({expected.Op}): the ranks did not call the same collectives in the same order";
        if (got.Total != expected.Total)
            return $"the peer's buffer has {got.Total} floats, this rank's {expected.Total}: every rank must pass a buffer of the same length";
        if (got.Root != expected.Root)
            return $"the peer broadcasts from root {got.Root}, this rank from root {expected.Root}";
        if (got.Step != expected.Step || got.Offset != expected.Offset || got.Count != expected.Count)
            return $"frame step {got.Step} [{got.Offset}, +{got.Count}) where step {expected.Step} [{expected.Offset}, +{expected.Count}) was due: the peer is out of step (different chunk size or a corrupted stream)";
        return null;
    }
}
