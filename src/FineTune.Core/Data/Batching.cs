namespace FineTune.Core.Data;

/// <summary>Epoch orders (seeded, optionally length-grouped) and collation of examples into padded batches.</summary>
public static class Batching
{
    /// <summary>Hugging Face's LengthGroupedSampler default: megabatches of 50 batches.</summary>
    public const int MegabatchMultiplier = 50;

    /// <summary>
    /// The order of <paramref name="indices"/> for one epoch: a permutation seeded from (seed, epoch), so it
    /// changes every epoch and is the same on every process. With <paramref name="groupByLength"/>, as Hugging
    /// Face's LengthGroupedSampler: the permutation is cut into megabatches of 50 x batchSize, each sorted by length
    /// (longest first), and the longest example overall is moved to the very first batch so that an out-of-memory
    /// shows up at the first step rather than hours later.
    /// </summary>
    public static int[] EpochOrder(TokenizedDataset data, IReadOnlyList<int> indices, int epoch, long seed, bool groupByLength, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        // Epoch e of seed s shuffles with seed Mix(Mix(s) + e): nearby seeds and epochs give unrelated orders.
        long epochSeed = (long)SplitMix64.Mix(SplitMix64.Mix((ulong)seed) + (ulong)epoch);
        var permutation = SeededShuffle.Permutation(indices.Count, epochSeed);
        var order = new int[indices.Count];
        for (int k = 0; k < order.Length; k++) order[k] = indices[permutation[k]];
        if (!groupByLength || order.Length == 0) return order;

        int megabatch = (int)Math.Min(int.MaxValue, (long)MegabatchMultiplier * batchSize);
        var keys = new long[order.Length];
        for (int start = 0; start < order.Length; start += megabatch)
        {
            int count = Math.Min(megabatch, order.Length - start);
            // Key: longer first, ties in permutation order (Array.Sort is not stable, so the position breaks ties).
            for (int k = 0; k < count; k++) keys[start + k] = ((long)-data.Length(order[start + k]) << 32) | (uint)k;
            Array.Sort(keys, order, start, count);
        }
        // Each megabatch now starts with its longest; bring the overall longest to position 0.
        int longest = 0;
        for (int start = megabatch; start < order.Length; start += megabatch)
            if (data.Length(order[start]) > data.Length(order[longest])) longest = start;
        (order[0], order[longest]) = (order[longest], order[0]);
        return order;
    }

    /// <summary>
    /// Pads the examples into one batch: to the longest of them (Dynamic) or to maxLength (MaxLength). Attention
    /// is 1 on real tokens; token type is 1 from each example's second segment to its end, 0 elsewhere.
    /// </summary>
    public static Batch Collate(TokenizedDataset data, ReadOnlySpan<int> indices, Padding padding, int maxLength, int padId)
    {
        if (indices.IsEmpty) throw new ArgumentException("a batch needs at least one example", nameof(indices));
        int size = indices.Length;
        int width = 0;
        for (int r = 0; r < size; r++) width = Math.Max(width, data.Length(indices[r]));
        if (padding == Padding.MaxLength)
        {
            if (width > maxLength)
                throw new ArgumentException($"an example has {width} tokens, more than max length {maxLength}; tokenize with the same max length", nameof(maxLength));
            width = maxLength;
        }

        var inputIds = new long[size * width];
        var attention = new long[size * width];
        var tokenTypes = new long[size * width];
        var labels = new long[size];
        long real = 0;
        for (int r = 0; r < size; r++)
        {
            int i = indices[r];
            var ids = data.InputIds(i);
            int row = r * width;
            for (int t = 0; t < ids.Length; t++) inputIds[row + t] = ids[t];
            inputIds.AsSpan(row + ids.Length, width - ids.Length).Fill(padId);
            attention.AsSpan(row, ids.Length).Fill(1);
            int second = data.SecondSegmentStart(i);
            tokenTypes.AsSpan(row + second, ids.Length - second).Fill(1);
            labels[r] = data.Label(i);
            real += ids.Length;
        }
        return new Batch(inputIds, attention, tokenTypes, labels, size, width, real);
    }
}
