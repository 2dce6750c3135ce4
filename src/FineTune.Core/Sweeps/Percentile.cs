namespace FineTune.Core.Sweeps;

/// <summary>numpy's percentile with its default linear method (and nanpercentile's skipping of NaN), step for step, so a
/// cutoff equals Ray's to the last bit: virtual index (n - 1) q, then numpy's lerp, which computes from the upper
/// neighbour when the fraction is at least 0.5.</summary>
static class Percentile
{
    /// <summary>The <paramref name="percent"/>-th percentile of the values that are numbers; NaN when none is.</summary>
    public static double Of(IEnumerable<double> values, double percent)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var index = (sorted.Length - 1) * (percent / 100);
        if (index >= sorted.Length - 1) return sorted[^1];
        var previous = Math.Floor(index);
        var (a, b, t) = (sorted[(int)previous], sorted[(int)previous + 1], index - previous);
        var difference = b - a;
        return t >= 0.5 ? b - difference * (1 - t) : a + difference * t;
    }
}
