namespace FineTune.Core.Sweeps;

/// <summary>
/// Tree-structured Parzen Estimator as Optuna's default <c>TPESampler</c> (independent per dimension): the first
/// <see cref="StartupTrials"/> outcomes are random draws (the <see cref="RandomSampler"/>'s, same seed); after that the
/// outcomes split into the best gamma(n) = min(ceil(0.1 n), 25) and the rest, each dimension fits a Parzen estimator
/// l(x) to the best and g(x) to the rest, draws <see cref="Candidates"/> candidates from l and keeps the one with the
/// largest l(x) / g(x). Ranking as Optuna's: completed trials first by value, then trials stopped early, those that got
/// further first, each by its last value.
/// Differences from Optuna, both for replay: every draw comes from the stream of (seed, trial index, dimension) instead
/// of one generator advancing across calls, and equal ranks keep trial order (a stable sort).
/// Sweep files do not offer it yet (<see cref="SweepSpec.TpeNotOffered"/>): tests/benchmarks/sweep-samplers.sh measures it.
/// </summary>
public sealed class TpeSampler : ISampler
{
    public const int StartupTrials = 10;
    public const int Candidates = 24;

    readonly IReadOnlyList<SearchDimension> space;
    readonly long seed;
    readonly bool greaterIsBetter;
    readonly RandomSampler startup;

    public TpeSampler(IReadOnlyList<SearchDimension> space, long seed, bool greaterIsBetter)
    {
        this.space = space;
        this.seed = seed;
        this.greaterIsBetter = greaterIsBetter;
        startup = new RandomSampler(space, seed);
    }

    public int? Size => null;

    /// <summary>Optuna's default_gamma: how many of n outcomes count as good.</summary>
    public static int Gamma(int n) => Math.Min((int)Math.Ceiling(0.1 * n), 25);

    public TrialConfig Next(int trialIndex, IReadOnlyList<TrialOutcome> completed)
    {
        if (completed.Count < StartupTrials) return startup.Next(trialIndex, completed);
        var trials = completed.OrderBy(t => t.TrialIndex).ToArray();
        var good = new HashSet<int>(trials.Select((t, i) => (Rank: RankKey(t), Index: i))
            .OrderBy(r => r.Rank.Stage).ThenBy(r => r.Rank.Loss).ThenBy(r => r.Index)
            .Take(Gamma(trials.Length)).Select(r => r.Index));
        var values = new List<KeyValuePair<string, string>>(space.Count);
        for (int d = 0; d < space.Count; d++)
        {
            var dimension = space[d];
            var below = new List<double>();
            var above = new List<double>();
            for (int i = 0; i < trials.Length; i++)
                if (trials[i].Config[dimension.Key] is { } text && dimension.Internal(text) is { } x) (good.Contains(i) ? below : above).Add(x);
            values.Add(KeyValuePair.Create(dimension.Key, dimension.ValueOf(BestCandidate(dimension, below, above, new SweepRandom(seed, trialIndex, stream: 1 + d)))));
        }
        return new TrialConfig(values);
    }

    /// <summary>Optuna's (-step, value) ranking key, as a loss: completed trials sort first (stage -inf), stopped ones by
    /// the evaluations they reached (more first); a value that is not a number ranks last in its stage.</summary>
    (double Stage, double Loss) RankKey(TrialOutcome t)
    {
        var loss = double.IsNaN(t.Value) ? double.PositiveInfinity : greaterIsBetter ? -t.Value : t.Value;
        return (t.StoppedEarly ? -t.Evaluations : double.NegativeInfinity, loss);
    }

    static double BestCandidate(SearchDimension dimension, List<double> below, List<double> above, SweepRandom random)
    {
        var l = new ParzenEstimator(dimension, below);
        var g = new ParzenEstimator(dimension, above);
        double best = double.NaN, bestScore = double.NegativeInfinity;
        for (int i = 0; i < Candidates; i++)
        {
            var x = l.Sample(ref random);
            var score = l.LogPdf(x) - g.LogPdf(x);
            // The first of equal scores wins, as numpy's argmax.
            if (double.IsNaN(best) || score > bestScore) (best, bestScore) = (x, score);
        }
        return best;
    }
}
