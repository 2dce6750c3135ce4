using FineTune.Coordinator.Jobs;
using FineTune.Core.Arguments;
using FineTune.Core.Hub;
using FineTune.Core.Sweeps;

namespace FineTune.Coordinator.Sweeps;

/// <summary>
/// What a sweep does with files: writes its splits once (hub ids resolved into the coordinator's cache first), gives a
/// trial its spec (the trials folder as its dataset) and the test job its spec (the best trial's model on the test
/// folder), deletes a non-best trial's output and checkpoints, writes the report, and pushes the sweep's output when
/// its base says push_to_hub. Virtual for tests.
/// </summary>
public class SweepWork(SweepStore sweeps, CoordinatorOptions options, JobPushes? pushes = null)
{
    /// <summary>The history key of a sweep metric: eval_accuracy, eval_f1_macro (for f1), eval_loss.</summary>
    public static string HistoryKey(string metric)
    {
        var name = metric.StartsWith("eval_", StringComparison.Ordinal) ? metric[5..] : metric;
        return "eval_" + (name == "f1" ? "f1_macro" : name);
    }

    /// <summary>A trial's spec: the sweep's trial arguments for <paramref name="config"/>, reading the sweep's trials folder.</summary>
    public static TrainingArguments TrialSpec(SweepRecord sweep, TrialConfig config) =>
        Splits(sweep).ForTrial(sweep.Local(sweep.Spec.TrialArguments(config)));

    static SweepSplits Splits(SweepRecord sweep) =>
        new(sweep.DataFolder ?? throw new InvalidOperationException($"sweep {sweep.Id}: its splits are not written"), 0, 0, 0, [], "", "");

    /// <summary>Writes the sweep's splits under sweeps/ID/data; returns the folder.</summary>
    public virtual string WriteSplits(SweepRecord sweep)
    {
        var baseArgs = sweep.Local(sweep.Spec.BaseArguments);
        if (options.Hub is { } settings && HubInputs.Needed(baseArgs, JobPaths.IsHubId))
        {
            using var client = new HubClient(settings);
            baseArgs = HubInputs.ResolveAsync(baseArgs, new HubSnapshots(client), JobPaths.IsHubId).GetAwaiter().GetResult().Apply(baseArgs);
        }
        var folder = sweeps.DataFolder(sweep.Id);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); // a restart mid-write begins again
        return SweepSplits.Write(baseArgs, sweep.Spec.ValidationSplit, sweep.Spec.Seed, folder).Folder;
    }

    /// <summary>
    /// The test job's spec (a job of kind evaluate): the best trial's options with its output folder as the model and
    /// the test folder as the dataset, so one worker scores that model on the test set with the trials' columns,
    /// max_length and eval batch size.
    /// </summary>
    public static TrainingArguments TestSpec(SweepRecord sweep, JobRecord best)
    {
        var splits = Splits(sweep);
        return splits.ForTrial(best.Spec) with { Model = best.OutputDir, ModelRevision = null, Dataset = splits.TestFolder }; // a trial's spec never pushes
    }

    /// <summary>
    /// The sweep's report (sweep.json, sweep_report.md with the trials table, sweep_metric.png) into the best trial's
    /// output folder, the sweep's output: Download of the sweep id gives it with the model.
    /// </summary>
    public virtual void WriteReport(SweepRecord sweep, JobRecord best)
    {
        var result = new SweepResult(sweep.Spec, sweep.Trials, sweep.Trials.FirstOrDefault(t => t.Index == sweep.BestTrial), sweep.TestMetrics,
            SweepSplits.Read(sweep.DataFolder ?? sweeps.DataFolder(sweep.Id)), DateTime.UnixEpoch.AddMilliseconds(sweep.CreatedUnixMs),
            DateTime.UnixEpoch.AddMilliseconds(sweep.EndedUnixMs ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        SweepReport.Write(result, best.OutputDir);
    }

    /// <summary>
    /// The sweep's one automatic push, called once after it succeeded (test set scored, report written): with push_to_hub
    /// in its base, the best trial's output folder (the sweep's output, its report in it) goes to the base's
    /// hub_model_id as that job's push (<see cref="JobPushes.PushOutput"/>: in the background, its state the job's
    /// <c>push</c>; a failed push never fails the sweep, and PushJob of the sweep id tries again).
    /// </summary>
    public void PushBest(SweepRecord sweep, JobRecord best)
    {
        if (sweep.Spec.PushesOutput) pushes?.PushOutput(best);
    }

    /// <summary>A trial that is not the best: its output folder and checkpoints go (its record and history stay).</summary>
    public virtual void DeleteResults(JobRecord? job)
    {
        if (job is null) return;
        foreach (var folder in new[] { job.OutputDir, options.CheckpointsDir(job.Id) })
            if (folder.Length > 0 && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}
