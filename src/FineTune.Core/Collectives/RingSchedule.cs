namespace FineTune.Core.Collectives;

/// <summary>One chunk on the wire: its ring step and range of the buffer (in floats).</summary>
/// <param name="Reduce">Receive side: add into the buffer (reduce-scatter) rather than overwrite (all-gather, broadcast).</param>
/// <param name="After">Send side: how many receives must have landed first, because this chunk forwards what they brought.</param>
readonly record struct RingPiece(int Step, long Offset, int Count, bool Reduce, int After);

/// <summary>
/// The order in which one rank sends to its successor and receives from its predecessor during one call. Pieces are
/// chunks of segments, so sending step t+1 of a chunk can start as soon as step t of that chunk has arrived: the
/// send thread and the receive loop stream at the same time (pipelining), instead of segment by segment.
/// </summary>
sealed record RingSchedule(RingOp Op, ushort Root, long Total, int Steps, RingPiece[] Sends, RingPiece[] Receives)
{
    /// <summary>
    /// Bandwidth-optimal all-reduce (Patarasuk and Yuan; Horovod, NCCL's ring): the buffer is cut into N segments;
    /// N-1 reduce-scatter steps leave rank r with the full sum of segment r+1, N-1 all-gather steps pass the sums
    /// around. Each rank sends and receives 2(N-1)/N of the buffer. At step t (of 2N-2) rank r sends segment r-t
    /// and receives segment r-t-1 (mod N), so what it sends at step t is exactly what it received at step t-1.
    /// </summary>
    public static RingSchedule AllReduce(RingOp op, int rank, int world, long total, int chunkFloats)
    {
        int steps = 2 * (world - 1);
        var receives = new List<RingPiece>();
        var firstReceiveOfStep = new int[steps];
        for (int t = 0; t < steps; t++)
        {
            firstReceiveOfStep[t] = receives.Count;
            var (start, length) = Segment(Mod(rank - t - 1, world), world, total);
            foreach (var (offset, count) in Chunks(start, length, chunkFloats))
                receives.Add(new RingPiece(t, offset, count, Reduce: t < world - 1, After: 0));
        }
        var sends = new List<RingPiece>();
        for (int t = 0; t < steps; t++)
        {
            var (start, length) = Segment(Mod(rank - t, world), world, total);
            int k = 0;
            foreach (var (offset, count) in Chunks(start, length, chunkFloats))
                sends.Add(new RingPiece(t, offset, count, Reduce: false, After: t == 0 ? 0 : firstReceiveOfStep[t - 1] + ++k));
        }
        return new RingSchedule(op, 0, total, steps, [.. sends], [.. receives]);
    }

    /// <summary>Pass-along from the root: every rank but the root receives each chunk and forwards it, except the last.</summary>
    public static RingSchedule Broadcast(int rank, int world, int root, long total, int chunkFloats)
    {
        int position = Mod(rank - root, world);
        var chunks = Chunks(0, total, chunkFloats).ToList();
        var receives = position == 0 ? [] : chunks.Select(c => new RingPiece(0, c.Offset, c.Count, Reduce: false, After: 0)).ToArray();
        var sends = position == world - 1 ? [] : chunks.Select((c, k) => new RingPiece(0, c.Offset, c.Count, Reduce: false, After: position == 0 ? 0 : k + 1)).ToArray();
        return new RingSchedule(RingOp.Broadcast, (ushort)root, total, 1, sends, receives);
    }

    /// <summary>Segment i of N: sizes differ by at most one float; some are empty when the buffer is shorter than N.</summary>
    static (long Start, long Length) Segment(int i, int world, long total)
    {
        long start = total * i / world, end = total * (i + 1) / world;
        return (start, end - start);
    }

    /// <summary>An empty range still travels as one empty frame, so every step is a handshake and zero-length calls synchronise.</summary>
    static IEnumerable<(long Offset, int Count)> Chunks(long start, long length, int chunkFloats)
    {
        if (length == 0) yield return (start, 0);
        for (long done = 0; done < length; done += chunkFloats)
            yield return (start + done, (int)Math.Min(chunkFloats, length - done));
    }

    static int Mod(int a, int n) => ((a % n) + n) % n;
}
