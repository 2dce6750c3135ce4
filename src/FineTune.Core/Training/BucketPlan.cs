namespace FineTune.Core.Training;

/// <summary>
/// Where the flat gradient buffer is cut into all-reduce buckets, and when each bucket is complete during backward.
/// Backward produces gradients in reverse parameter order, so buckets are taken from the end of the buffer (the
/// trailing loss slot included). A per-layer backward hook says "every gradient from this layer's first parameter on
/// is final" (its frontier); buckets are cut only at those frontiers (and at 0), holding as many whole layers as fit
/// in the cap (one layer bigger than the cap gets a bucket of its own), so each bucket leaves as soon as backward has
/// passed the last layer it holds. What precedes layer 0 (the embeddings) is the last bucket, complete only when
/// backward is.
/// </summary>
public sealed record BucketPlan(long[] Starts, long[] Frontiers, long Total)
{
    /// <summary>Bucket k covers [Starts[k], End(k)); k = 0 holds the end of the buffer.</summary>
    public long End(int k) => k == 0 ? Total : Starts[k - 1];

    public int Count => Starts.Length;

    /// <summary>
    /// The plan for parameters laid out in this order (FlatGradients: named_parameters order, one trailing loss slot),
    /// or null when the layers' parameters are not contiguous runs in forward order (no frontier would be true).
    /// </summary>
    public static BucketPlan? For(IReadOnlyList<(string Name, long Count)> parameters, IReadOnlyList<string> layerPrefixes, long bucketFloats)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketFloats, 1);
        if (layerPrefixes.Count == 0) return null;
        var offsets = new long[parameters.Count + 1];
        for (int p = 0; p < parameters.Count; p++) offsets[p + 1] = offsets[p] + parameters[p].Count;
        long total = offsets[^1] + 1; // the loss slot
        var prefixes = layerPrefixes.ToArray();
        var layerOf = parameters.Select(p => Array.FindIndex(prefixes, prefix => p.Name.StartsWith(prefix, StringComparison.Ordinal))).ToArray();

        // Layer i's parameters must be one run, after layer i-1's; everything between the first and last layer belongs to one.
        var frontiers = new long[layerPrefixes.Count];
        int at = Array.FindIndex(layerOf, l => l >= 0);
        if (at < 0) return null;
        for (int layer = 0; layer < layerPrefixes.Count; layer++)
        {
            if (at >= parameters.Count || layerOf[at] != layer) return null;
            frontiers[layer] = offsets[at];
            while (at < parameters.Count && layerOf[at] == layer) at++;
        }
        if (layerOf.Skip(at).Any(l => l >= 0)) return null; // a layer's parameter after the last layer

        var starts = new List<long>();
        long end = total, start = total;
        foreach (var cut in frontiers.Reverse().Append(0L).Distinct())
        {
            if (end - cut > bucketFloats && start < end)
            {
                starts.Add(start);
                end = start;
            }
            start = cut;
        }
        starts.Add(start);
        return new BucketPlan([.. starts], frontiers, total);
    }
}
