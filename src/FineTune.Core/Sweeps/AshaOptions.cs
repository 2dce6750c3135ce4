namespace FineTune.Core.Sweeps;

/// <summary>
/// A sweep's <c>early_stopping: {type: asha, grace_period, max_t, reduction_factor}</c>, in evaluations: a trial's time is
/// the number of evaluations it has reported. Rungs sit at grace_period x reduction_factor^k below max_t; a trial that
/// reaches max_t is complete.
/// </summary>
public sealed record AshaOptions(int GracePeriod, int MaxT, int ReductionFactor)
{
    /// <summary>Ray Tune's ASHAScheduler default, kept for files that leave it out.</summary>
    public const int DefaultGracePeriod = 1;
    public const int DefaultReductionFactor = 3;

    /// <summary>Every problem, each naming the key; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (GracePeriod < 1) p.Add($"early_stopping.grace_period: must be at least 1, got {GracePeriod}");
        if (MaxT < GracePeriod) p.Add($"early_stopping.max_t: must be at least grace_period ({GracePeriod}), got {MaxT}");
        if (ReductionFactor < 2) p.Add($"early_stopping.reduction_factor: must be at least 2, got {ReductionFactor}");
        return p;
    }

    /// <summary>The rungs' milestones, ascending: grace_period x reduction_factor^k, each below max_t.</summary>
    public IReadOnlyList<int> Rungs()
    {
        var rungs = new List<int>();
        if (GracePeriod < 1 || ReductionFactor < 2) return rungs;
        for (long t = GracePeriod; t < MaxT; t *= ReductionFactor) rungs.Add((int)t);
        return rungs;
    }
}
