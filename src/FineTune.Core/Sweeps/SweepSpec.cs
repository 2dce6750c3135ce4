using System.Globalization;
using FineTune.Core.Arguments;

namespace FineTune.Core.Sweeps;

/// <summary>
/// A hyperparameter sweep file (sweep.yaml / sweep.json), read and checked by <see cref="Read"/>: the base job (a spec
/// file or inline options, bound by <see cref="ArgumentTable"/> exactly as a job spec is), the metric and its direction,
/// the search space, the sampler, early stopping and the trials' resources. Trials' options come from
/// <see cref="TrialArguments"/>, so every sampled config passes the table's own checks. docs/sweeps.md is the contract.
/// </summary>
public sealed partial class SweepSpec
{
    // Only Read and Parse make one, so every SweepSpec has passed their checks.
    SweepSpec() { }

    /// <summary>The sweep file's path as given: messages start with it.</summary>
    public required string Path { get; init; }

    /// <summary>The base job's options as (table key, text): the base spec file's, or the inline mapping's.</summary>
    public required IReadOnlyList<(string Key, string Value)> BaseOptions { get; init; }

    /// <summary>The base options bound onto the defaults (before the sweep's own settings).</summary>
    public required TrainingArguments BaseArguments { get; init; }

    /// <summary>metric_for_best_model's name the sweep optimises (default: the base's metric_for_best_model).</summary>
    public required string Metric { get; init; }

    /// <summary>The metric's direction, as greater_is_better follows metric_for_best_model: false for losses.</summary>
    public bool GreaterIsBetter => SweepArguments().GreaterIsBetter;

    /// <summary>Whether <paramref name="a"/> beats <paramref name="b"/> in the metric's direction (ties keep the earlier).</summary>
    public bool Better(double a, double b) => GreaterIsBetter ? a > b : a < b;

    /// <summary>The trials asked for (for grid without <c>trials</c>: the grid's size).</summary>
    public required int Trials { get; init; }

    /// <summary>Each trial's world size: its <c>workers</c>, and <c>min_workers</c> unless the base sets that.</summary>
    public required int WorkersPerTrial { get; init; }

    /// <summary>grid or random (<see cref="Samplers"/>).</summary>
    public required string Sampler { get; init; }

    /// <summary>ASHA's settings; null when the sweep has no early stopping.</summary>
    public required AshaOptions? EarlyStopping { get; init; }

    /// <summary>The fraction of the training data a runner holds out (seeded by <see cref="Seed"/>) to evaluate trials
    /// on, so choosing the best trial does not look at the eval set.</summary>
    public required double ValidationSplit { get; init; }

    /// <summary>The samplers' seed.</summary>
    public required long Seed { get; init; }

    /// <summary>The search space, in file order; keys are table keys (aliases resolved).</summary>
    public required IReadOnlyList<SearchDimension> Space { get; init; }

    /// <summary>The samplers a sweep file may name (not tpe: see <see cref="TpeNotOffered"/>).</summary>
    public static readonly IReadOnlyList<string> Samplers = ["grid", "random"];

    /// <summary>The number of trials to run: <see cref="Trials"/>, or the grid's size when that is smaller.</summary>
    public int PlannedTrials => CreateSampler().Size is { } size ? Math.Min(size, Trials) : Trials;

    /// <summary>Why fewer trials than asked will run (a grid smaller than <c>trials</c>); null when all will.</summary>
    public string? PlanNote => PlannedTrials < Trials
        ? $"{Path}: trials: the grid has {PlannedTrials} combinations, fewer than the {Trials} trials asked for: the sweep runs {PlannedTrials}"
        : null;

    /// <summary>The sampler the file names, over <see cref="Space"/> with <see cref="Seed"/>.</summary>
    public ISampler CreateSampler() => Sampler switch
    {
        "grid" => new GridSampler(Space),
        _ => new RandomSampler(Space, Seed),
    };

    /// <summary>A fresh ASHA scheduler for this sweep; null without early stopping. After a restart, replay the record into it.</summary>
    public AshaScheduler? CreateScheduler() => EarlyStopping is { } asha ? new AshaScheduler(asha, Metric, GreaterIsBetter) : null;

    /// <summary>
    /// A trial's options: the base, then the sweep's settings (workers = workers_per_trial, min_workers = workers_per_trial
    /// unless the base sets it, metric_for_best_model = metric, save_total_limit 1 unless the base sets it, push_to_hub
    /// false), then the config's values, each through <see cref="ArgumentTable.Apply"/>; validated with the table's rules.
    /// </summary>
    public TrainingArguments TrialArguments(TrialConfig config)
    {
        var args = SweepArguments();
        foreach (var (key, value) in config.Values)
        {
            if (Space.All(d => d.Key != key)) throw new InvalidInputException($"trial {config}: '{key}' is not in the sweep's space");
            args = ArgumentTable.Apply(args, key, value, $"trial {config}: {ArgumentTable.Describe(key)}");
        }
        var problems = args.Problems();
        if (problems.Count > 0) throw new InvalidInputException($"trial {config}: {string.Join("; ", problems)}");
        return args;
    }

    /// <summary>
    /// Whether the sweep's output (the best trial's model, with the sweep's report) is pushed to the hub once the sweep
    /// succeeded: the base's push_to_hub. Trials never push (<see cref="TrialArguments"/>); they keep the base's
    /// hub_model_id, hub_revision and hub_private_repo, so the best trial's spec names where its output goes.
    /// </summary>
    public bool PushesOutput => BaseArguments.PushToHub;

    /// <summary>Refuses a sweep whose trials need more workers than the coordinator has.</summary>
    public void CheckWorkers(int maxWorkers)
    {
        if (WorkersPerTrial > maxWorkers)
            throw new InvalidInputException($"{Path}: workers_per_trial: {WorkersPerTrial} is more than the coordinator's {maxWorkers} workers: no trial could start");
    }

    /// <summary>The base with the sweep's own settings applied (what every trial starts from).</summary>
    TrainingArguments SweepArguments() => SweepArguments(BaseArguments, WorkersPerTrial, Metric);

    static TrainingArguments SweepArguments(TrainingArguments baseArguments, int workersPerTrial, string metric)
    {
        var workers = workersPerTrial.ToString(CultureInfo.InvariantCulture);
        var args = ArgumentTable.Apply(baseArguments, "workers", workers, "workers_per_trial");
        if (baseArguments.MinWorkers is null) args = ArgumentTable.Apply(args, "min_workers", workers, "workers_per_trial");
        args = ArgumentTable.Apply(args, "metric_for_best_model", metric, "metric");
        if (baseArguments.SaveTotalLimit is null) args = ArgumentTable.Apply(args, "save_total_limit", "1", "save_total_limit");
        return ArgumentTable.Apply(args, "push_to_hub", "false", "push_to_hub"); // the sweep pushes its output once (PushesOutput)
    }
}
