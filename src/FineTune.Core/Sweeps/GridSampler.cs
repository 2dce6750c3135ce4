namespace FineTune.Core.Sweeps;

/// <summary>
/// Every combination of the space's values (choice and int dimensions only), in a fixed order: the Cartesian product
/// with the last dimension varying fastest (as Python's itertools.product). Trial i gets combination i.
/// </summary>
public sealed class GridSampler : ISampler
{
    readonly IReadOnlyList<SearchDimension> space;

    public GridSampler(IReadOnlyList<SearchDimension> space)
    {
        if (space.FirstOrDefault(d => d.GridSize is null) is { } continuous)
            throw new ArgumentException($"grid: {continuous.Key} is {continuous.DistributionName}, not choice or int");
        this.space = space;
        // Saturated: a grid too large to run counts as unlimited for every practical number of trials.
        long size = 1;
        foreach (var d in space) size = Math.Min(int.MaxValue, size * d.GridSize!.Value);
        Size = (int)size;
    }

    /// <summary>The number of combinations (at most int.MaxValue).</summary>
    public int? Size { get; }

    public TrialConfig Next(int trialIndex, IReadOnlyList<TrialOutcome> completed)
    {
        if (trialIndex < 0 || trialIndex >= Size) throw new ArgumentOutOfRangeException(nameof(trialIndex), $"grid: trial {trialIndex} is past the grid's {Size} combinations");
        var values = new KeyValuePair<string, string>[space.Count];
        long rest = trialIndex;
        for (int d = space.Count - 1; d >= 0; d--)
        {
            var n = space[d].GridSize!.Value;
            values[d] = KeyValuePair.Create(space[d].Key, space[d].GridValue(rest % n));
            rest /= n;
        }
        return new TrialConfig(values);
    }
}
