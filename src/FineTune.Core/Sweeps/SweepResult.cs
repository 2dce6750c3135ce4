using System.Globalization;
using System.Text.Json.Nodes;

namespace FineTune.Core.Sweeps;

/// <summary>
/// A finished sweep: its trials, the best (its model is the sweep's output), the test set's one scoring on it
/// (<see cref="TestScores"/>), and what early stopping saved. sweep.json is <see cref="ToJson"/>.
/// </summary>
public sealed record SweepResult(SweepSpec Spec, IReadOnlyList<SweepTrial> Trials, SweepTrial? Best, IReadOnlyDictionary<string, double>? Test, SweepSplits Splits,
    DateTime Started, DateTime Ended)
{
    /// <summary>The sweep fails only when every trial failed.</summary>
    public bool Failed => Trials.Count > 0 && Trials.All(t => t.State == TrialStates.Failed);

    /// <summary>The evaluations a trial runs to its end: the longest completed trial's (or ASHA's max_t).</summary>
    public int FullEvaluations => Trials.Where(t => t.State == TrialStates.Succeeded).Select(t => t.Evaluations).DefaultIfEmpty(Spec.EarlyStopping?.MaxT ?? 0).Max();

    /// <summary>The share of the full budget (every trial run to its end) that early stopping did not spend.</summary>
    public double SavedShare
    {
        get
        {
            var ran = Trials.Where(t => t.State is TrialStates.Succeeded or TrialStates.Stopped).ToList();
            double budget = (double)ran.Count * FullEvaluations;
            return budget == 0 ? 0 : 1 - ran.Sum(t => Math.Min(t.Evaluations, FullEvaluations)) / budget;
        }
    }

    /// <summary>The wall time against the sum of the trials' own durations (below 1 when trials overlapped).</summary>
    public double WallOverTrialTime
    {
        get
        {
            var trialSeconds = Trials.Where(t => t.Ended is not null).Sum(t => (t.Ended!.Value - t.Started).TotalSeconds);
            return trialSeconds == 0 ? 0 : (Ended - Started).TotalSeconds / trialSeconds;
        }
    }

    public JsonObject ToJson() => new()
    {
        ["sweep"] = Spec.Path,
        ["metric"] = Spec.Metric,
        ["greater_is_better"] = Spec.GreaterIsBetter,
        ["sampler"] = Spec.Sampler,
        ["early_stopping"] = Spec.EarlyStopping is { } asha
            ? new JsonObject { ["type"] = "asha", ["grace_period"] = asha.GracePeriod, ["max_t"] = asha.MaxT, ["reduction_factor"] = asha.ReductionFactor }
            : null,
        ["state"] = Failed ? TrialStates.Failed : TrialStates.Succeeded,
        ["started"] = Started.ToString("O", CultureInfo.InvariantCulture),
        ["ended"] = Ended.ToString("O", CultureInfo.InvariantCulture),
        ["splits"] = new JsonObject
        {
            ["train"] = Splits.Train,
            ["validation"] = Splits.Validation,
            ["validation_source"] = Splits.ValidationSource,
            ["test"] = Splits.Test,
            ["test_source"] = Splits.TestSource,
        },
        ["best"] = Best is null ? null : new JsonObject
        {
            ["trial"] = Best.Index,
            ["params"] = Best.ToJson()["params"]!.DeepClone(),
            ["validation"] = Best.Value,
            ["test"] = Test is null ? null : new JsonObject(Test.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        },
        ["early_stopping_saved"] = SavedShare,
        ["wall_over_trial_time"] = WallOverTrialTime,
        ["trials"] = new JsonArray([.. Trials.Select(t => (JsonNode)t.ToJson())]),
    };
}
