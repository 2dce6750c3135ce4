namespace FineTune.Core.Sweeps;

/// <summary>
/// Independent uniform draws per dimension (log-uniform for loguniform), from the stream keyed by (seed, trial index):
/// the same seed and index give the same config whatever ran before.
/// </summary>
public sealed class RandomSampler(IReadOnlyList<SearchDimension> space, long seed) : ISampler
{
    public int? Size => null;

    public TrialConfig Next(int trialIndex, IReadOnlyList<TrialOutcome> completed)
    {
        var random = new SweepRandom(seed, trialIndex, stream: 0);
        var values = new List<KeyValuePair<string, string>>(space.Count);
        foreach (var d in space) values.Add(KeyValuePair.Create(d.Key, d.ValueAt(random.NextDouble())));
        return new TrialConfig(values);
    }
}
