namespace FineTune.Core.Training;

/// <summary>
/// TensorBoard's smoothing for noisy curves: an exponential moving average, debiased so the first points are not
/// pulled towards zero.
/// </summary>
internal static class LossSmoothing
{
    /// <summary>The weight for a curve of <paramref name="count"/> points: an EMA over roughly 1/15 of them (5 to 50).</summary>
    internal static double WeightFor(int count)
    {
        var span = Math.Clamp(count / 15, 5, 50);
        return 1 - 2.0 / (span + 1);
    }

    internal static double[] Ema(IReadOnlyList<double> values, double weight)
    {
        var smoothed = new double[values.Count];
        double last = 0, debias = 1;
        for (var i = 0; i < values.Count; i++)
        {
            last = last * weight + (1 - weight) * values[i];
            debias *= weight;
            smoothed[i] = last / (1 - debias);
        }
        return smoothed;
    }
}
