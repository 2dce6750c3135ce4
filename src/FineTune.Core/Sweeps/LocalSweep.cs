using FineTune.Core.Arguments;
using FineTune.Core.Data;
using FineTune.Core.Hub;
using FineTune.Core.Inference;
using FineTune.Core.Training;

namespace FineTune.Core.Sweeps;

/// <summary>
/// `finetune sweep` in one process: write the splits (no trial sees the test set), run the trials one after another as
/// ordinary training runs into trials/trial-N, stop poor ones early (ASHA), keep only the best trial's model (the
/// sweep's output, in best/), score the test set once on it, and write sweep.json and the report (into best/ too).
/// </summary>
public static class LocalSweep
{
    public const string BestFolder = "best";

    /// <param name="hub">the base job's hub ids, already in the cache: their snapshot folders are read</param>
    public static SweepResult Run(SweepSpec spec, string outputDir, Action<string>? log = null, CancellationToken cancel = default, HubInputs? hub = null,
        Func<DateTime>? clock = null)
    {
        log ??= _ => { };
        clock ??= () => DateTime.UtcNow;
        var output = Path.GetFullPath(outputDir);
        Directory.CreateDirectory(output);
        hub ??= HubInputs.None;
        var started = clock();
        if (spec.PlanNote is { } note) log(note);

        var splits = SweepSplits.Write(hub.Apply(spec.BaseArguments), spec.ValidationSplit, spec.Seed, Path.Combine(output, "data"));
        log($"splits: {splits.Train} train, {splits.Validation} validation ({splits.ValidationSource}), {splits.Test} test ({splits.TestSource}), scored once at the end");

        var sampler = spec.CreateSampler();
        var asha = spec.CreateScheduler();
        var trials = new List<SweepTrial>();
        SweepTrial? best = null;
        for (int i = 0; i < spec.PlannedTrials && !cancel.IsCancellationRequested; i++)
        {
            var config = sampler.Next(i, SweepTrial.Outcomes(trials));
            var trial = new SweepTrial(i, config, clock());
            trials.Add(trial);
            log($"{trial.Name}: {config}");
            var folder = Path.Combine(output, "trials", trial.Name);
            RunTrial(spec, splits, hub, trial, folder, asha, log, cancel, clock);
            log($"{trial.Name}: {trial.State}{(trial.Value is { } v ? $", {spec.Metric} {v:0.####}" : "")}{(trial.Reason is { } r ? $" ({r})" : "")}");

            // Only the best trial's model is kept: the sweep's output.
            if (trial.State == TrialStates.Succeeded && (best is null || spec.Better(trial.Value!.Value, best.Value!.Value)))
            {
                ReplaceBest(folder, Path.Combine(output, BestFolder));
                best = trial;
            }
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        if (Directory.Exists(Path.Combine(output, "trials"))) Directory.Delete(Path.Combine(output, "trials"), recursive: true);

        IReadOnlyDictionary<string, double>? test = null;
        if (best is not null)
        {
            using var classifier = TextClassifier.Load(Path.Combine(output, BestFolder));
            var scored = DatasetEvaluation.Evaluate(classifier, splits.TestFolder, new DatasetOptions { Dataset = splits.TestFolder }, maxLength: spec.BaseArguments.MaxLength);
            test = TestScores.Of(scored);
            log($"test set ({splits.Test} examples), scored once on {best.Name}: accuracy {scored.Accuracy:0.####}, macro-F1 {scored.F1Macro:0.####}");
        }
        var result = new SweepResult(spec, trials, best, test, splits, started, clock());
        SweepReport.Write(result, output);
        if (best is not null) SweepReport.Write(result, Path.Combine(output, BestFolder)); // the sweep's output: the model with its report, as a cluster sweep's
        return result;
    }

    static void RunTrial(SweepSpec spec, SweepSplits splits, HubInputs hub, SweepTrial trial, string folder, AshaScheduler? asha,
        Action<string> log, CancellationToken cancel, Func<DateTime> clock)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        string? stopReason = null;
        try
        {
            var args = splits.ForTrial(spec.TrialArguments(trial.Config)) with { OutputDir = folder };
            var observer = new TrialObserver(args, (evaluation, value) =>
            {
                trial.Evaluated(clock(), value);
                if (asha?.Report(trial.Index, trial.Evaluations, value) is { Action: AshaAction.Stop } decision)
                {
                    stopReason = decision.Reason;
                    stop.Cancel(); // at the next step boundary
                }
            });
            var result = FineTuneJob.Run(args with { Model = hub.Apply(args).Model, ModelRevision = null }, observer, line => log($"{trial.Name}: {line}"), stop.Token);
            if (!result.Outcome.Interrupted) trial.End(TrialStates.Succeeded, clock());
            else if (stopReason is not null) trial.End(TrialStates.Stopped, clock(), stopReason);
            else trial.End(TrialStates.Cancelled, clock(), "the sweep was cancelled");
        }
        catch (Exception e) when (!cancel.IsCancellationRequested && e is not OutOfMemoryException)
        {
            // A failed trial (a diverged run, a bad sampled config) is recorded and the sweep goes on.
            trial.End(TrialStates.Failed, clock(), e is InvalidInputException ? ErrorText.FirstLine(e.Message) : ErrorText.Summary(e));
        }
    }

    static void ReplaceBest(string trialFolder, string bestFolder)
    {
        if (Directory.Exists(bestFolder)) Directory.Delete(bestFolder, recursive: true);
        Directory.Move(trialFolder, bestFolder);
    }

    /// <summary>Tells the sweep each evaluation's value of its metric.</summary>
    sealed class TrialObserver(TrainingArguments args, Action<int, double> evaluated) : ITrainerObserver
    {
        int evaluations;

        public void OnEvaluate(int step, double epoch, EvalResult result) => evaluated(++evaluations, args.BestModelMetric(result));
    }
}
