namespace FineTune.Core.Sweeps;

/// <summary>
/// Chooses each trial's options. <see cref="Next"/> is a pure function of the sweep (space, seed), the trial's index and
/// the outcomes given: no state is kept between calls, so a restarted coordinator gets the same configs by calling it
/// again with the same records.
/// </summary>
public interface ISampler
{
    /// <summary>How many distinct configs this sampler gives (a grid's size); null when it has no limit.</summary>
    int? Size { get; }

    /// <summary>The config of trial <paramref name="trialIndex"/> (0-based), given the trials finished so far (any order).</summary>
    TrialConfig Next(int trialIndex, IReadOnlyList<TrialOutcome> completed);
}
