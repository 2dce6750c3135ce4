namespace FineTune.Core.Data;

/// <summary>
/// Seeded permutations that are identical on every process, machine and .NET version (every rank must agree on
/// the data order): Fisher-Yates from the end, swapping i with j uniform in [0, i], drawn from SplitMix64 seeded
/// with the seed's bits. Changing this changes every subset, split and epoch order: the tests pin it.
/// </summary>
public static class SeededShuffle
{
    public static int[] Permutation(int n, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var random = new SplitMix64((ulong)seed);
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.NextBelow(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
