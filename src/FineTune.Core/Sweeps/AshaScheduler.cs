using System.Globalization;

namespace FineTune.Core.Sweeps;

/// <summary>
/// Asynchronous successive halving, stopping-based, as Ray Tune's <c>ASHAScheduler</c> with one bracket
/// (python/ray/tune/schedulers/async_hyperband.py, stop_last_trials on). A trial reporting its t-th evaluation:
/// - t at least max_t: complete;
/// - else, at the highest rung (milestone at most t) where it has no value yet: the cutoff is the (1 - 1/eta)
///   percentile (numpy's, linear) of the values recorded there BEFORE this one; it stops if its value is worse than the
///   cutoff (ties continue), and its value is recorded there either way; with no such rung it continues.
/// Values are kept signed as Ray keeps them (negated when lower is better), so cutoffs match Ray's exactly.
/// Decisions depend only on the order of the reports: <see cref="Replay"/> of the same reports, in the order they first
/// arrived, rebuilds the same state after a restart (keep that order in the sweep's record).
/// One difference, chosen: a value that is not a number stops the trial and is not recorded (Ray lets it continue,
/// since NaN &lt; cutoff is false, and nanpercentile then ignores it: a diverged trial would run to the end).
/// </summary>
public sealed class AshaScheduler
{
    readonly AshaOptions options;
    readonly string metric;
    readonly bool greaterIsBetter;
    readonly int[] rungs;
    readonly Dictionary<int, double>[] recorded;

    /// <param name="metric">the metric's name, for the reasons (the sweep's <c>metric</c>)</param>
    /// <param name="greaterIsBetter">the metric's direction (greater_is_better: false for losses)</param>
    public AshaScheduler(AshaOptions options, string metric, bool greaterIsBetter)
    {
        if (options.Problems() is [var problem, ..]) throw new ArgumentException(problem);
        this.options = options;
        this.metric = metric;
        this.greaterIsBetter = greaterIsBetter;
        rungs = [.. options.Rungs()];
        recorded = [.. rungs.Select(_ => new Dictionary<int, double>())];
    }

    /// <summary>The rungs' milestones in evaluations, ascending (rung k is grace_period x eta^k).</summary>
    public IReadOnlyList<int> Rungs => rungs;

    /// <summary>The values recorded at rung <paramref name="rung"/>, by trial, in the metric's own sign.</summary>
    public IReadOnlyDictionary<int, double> RecordedAt(int rung) => recorded[rung].ToDictionary(kv => kv.Key, kv => Signed(kv.Value));

    /// <summary>The decision after trial <paramref name="trialIndex"/> reports <paramref name="value"/> at its
    /// <paramref name="evaluations"/>-th evaluation (1 for the first).</summary>
    public AshaDecision Report(int trialIndex, int evaluations, double value)
    {
        if (evaluations >= options.MaxT) return new(AshaAction.Complete, $"asha: {Count(evaluations)} reached max_t {options.MaxT}: complete");
        if (double.IsNaN(value)) return new(AshaAction.Stop, $"asha: {metric} is not a number after {Count(evaluations)}: stop");
        var signed = Signed(value);
        for (int k = rungs.Length - 1; k >= 0; k--)
        {
            if (evaluations < rungs[k] || recorded[k].ContainsKey(trialIndex)) continue;
            var earlier = recorded[k].Count;
            var cutoff = earlier == 0 ? (double?)null : Percentile.Of(recorded[k].Values, (1 - 1.0 / options.ReductionFactor) * 100);
            recorded[k][trialIndex] = signed;
            if (cutoff is not { } c) return new(AshaAction.Continue, $"asha: {metric} {Text(value)} is the first at rung {k} ({Count(rungs[k])}): continue");
            var stop = signed < c;
            var comparison = (stop, greaterIsBetter) switch
            {
                (true, true) => "below",
                (true, false) => "above",
                (false, true) => "at or above",
                (false, false) => "at or below",
            };
            var reason = $"asha: {metric} {Text(value)} {comparison} the rung-{k} cutoff {Text(Signed(c))} (the best 1/{options.ReductionFactor} of {earlier} {(earlier == 1 ? "trial" : "trials")} at {Count(rungs[k])})";
            return stop ? new(AshaAction.Stop, reason + ": stop") : new(AshaAction.Continue, reason + ": continue");
        }
        return new(AshaAction.Continue, $"asha: no new rung at {Count(evaluations)} (rungs at {string.Join(", ", rungs)}): continue");
    }

    public AshaDecision Report(AshaReport report) => Report(report.TrialIndex, report.Evaluations, report.Value);

    /// <summary>Reports <paramref name="reports"/> in order (a restart's replay of the record) and returns the decisions,
    /// which equal the ones first made.</summary>
    public IReadOnlyList<AshaDecision> Replay(IEnumerable<AshaReport> reports) => [.. reports.Select(Report)];

    // Negation is its own inverse: the same call turns a value into Ray's signed form and back.
    double Signed(double value) => greaterIsBetter ? value : -value;

    static string Text(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    static string Count(int evaluations) => evaluations == 1 ? "1 evaluation" : $"{evaluations} evaluations";
}
