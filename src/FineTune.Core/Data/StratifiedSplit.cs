namespace FineTune.Core.Data;

/// <summary>
/// Holds out a seeded, label-stratified share of the examples for evaluation. The eval size is
/// ceil(fraction * n), as in Hugging Face's train_test_split; each label gets its proportional share of it,
/// rounded by largest remainder (so every label is within one example of its exact share), and keeps at least
/// one training example. Which examples of a label go to eval follows one seeded permutation of all examples.
/// </summary>
internal static class StratifiedSplit
{
    /// <returns>Train and eval indices, each in ascending (file) order.</returns>
    public static (int[] Train, int[] Eval) Split(IReadOnlyList<int> labels, int labelCount, double fraction, long seed)
    {
        int n = labels.Count;
        int evalTotal = fraction <= 0 ? 0 : (int)Math.Min(n, Math.Ceiling(fraction * n));

        var byLabel = new List<int>[labelCount];
        for (int c = 0; c < labelCount; c++) byLabel[c] = [];
        foreach (int i in SeededShuffle.Permutation(n, seed)) byLabel[labels[i]].Add(i);

        // Exact share of label c: count_c * evalTotal / n; floor it, then hand out the rest by largest remainder.
        var quota = new int[labelCount];
        var remainder = new long[labelCount];
        for (int c = 0; c < labelCount; c++)
        {
            long exact = (long)byLabel[c].Count * evalTotal;
            quota[c] = (int)(exact / Math.Max(n, 1));
            remainder[c] = exact % Math.Max(n, 1);
        }
        int left = evalTotal - quota.Sum();
        foreach (int c in Enumerable.Range(0, labelCount).OrderByDescending(c => remainder[c]).ThenBy(c => c).Take(left))
            quota[c]++;

        var eval = new List<int>(evalTotal);
        var train = new List<int>(n - evalTotal);
        for (int c = 0; c < labelCount; c++)
        {
            int take = Math.Min(quota[c], Math.Max(byLabel[c].Count - 1, 0));
            eval.AddRange(byLabel[c].Take(take));
            train.AddRange(byLabel[c].Skip(take));
        }
        int[] trainOrder = [.. train], evalOrder = [.. eval];
        Array.Sort(trainOrder);
        Array.Sort(evalOrder);
        return (trainOrder, evalOrder);
    }
}
