using FineTune.Contracts;
using FineTune.Core.Arguments;
using FineTune.Core.Sweeps;

namespace FineTune.Coordinator.Sweeps;

/// <summary>
/// A sweep as the coordinator keeps it: the sweep file (base inline, paths resolved), its trials (each an ordinary job,
/// by index), ASHA's reports in arrival order, the best trial and the test score. Persisted as sweeps/ID/sweep.json
/// (<see cref="SweepFile"/>); the sampler and ASHA are rebuilt from it (ASHA by replaying the reports). Guards its own
/// state: trials only while running and never past the plan, one end per trial, one end per sweep. Callers hold the
/// sweep store's lock (<see cref="SweepStore.Update"/>).
/// </summary>
public sealed class SweepRecord
{
    readonly List<SweepTrial> trials = [];
    readonly Dictionary<int, string> trialJobs = [];
    readonly List<AshaReport> reports = [];
    readonly Dictionary<int, string> stops = []; // trial -> ASHA's stop reason (derived from the reports)

    public SweepRecord(string id, string name, string text, SweepSpec spec, long createdUnixMs, string? requestId, IReadOnlyDictionary<string, string>? paths = null)
    {
        (Id, Name, Text, Spec, CreatedUnixMs, RequestId, Paths) = (id, name, text, spec, createdUnixMs, requestId, paths ?? new Dictionary<string, string>());
        Asha = spec.CreateScheduler();
    }

    public string Id { get; }
    /// <summary>The file name the sweep was submitted as (its format and the start of its messages).</summary>
    public string Name { get; }
    /// <summary>The sweep file as stored: base inline, its paths as resolved on this coordinator.</summary>
    public string Text { get; }
    public SweepSpec Spec { get; }
    /// <summary>The base's model, dataset and eval_dataset as resolved on this coordinator (JobPaths), by table key.</summary>
    public IReadOnlyDictionary<string, string> Paths { get; }

    /// <summary><paramref name="args"/> (the base's, or a trial's) with the base's paths as resolved on this coordinator.</summary>
    public TrainingArguments Local(TrainingArguments args) => args with
    {
        Model = Paths.GetValueOrDefault("model") ?? args.Model,
        Dataset = Paths.GetValueOrDefault("dataset") ?? args.Dataset,
        EvalDataset = Paths.GetValueOrDefault("eval_dataset") ?? args.EvalDataset,
    };
    public long CreatedUnixMs { get; }
    public string? RequestId { get; }
    public string State { get; private set; } = SweepStates.Preparing;
    public string? Error { get; private set; }
    public long? EndedUnixMs { get; private set; }
    /// <summary>The folder holding trials/ and test/ (SweepSplits), once written.</summary>
    public string? DataFolder { get; private set; }
    public int? BestTrial { get; private set; }
    public IReadOnlyDictionary<string, double>? TestMetrics { get; private set; }
    /// <summary>The job (kind evaluate) scoring the best trial's model on the test set; null until scoring starts.</summary>
    public string? TestJob { get; private set; }
    /// <summary>ASHA rebuilt from the reports; null without early stopping.</summary>
    public AshaScheduler? Asha { get; private set; }

    public IReadOnlyList<SweepTrial> Trials => trials;
    public IReadOnlyDictionary<int, string> TrialJobs => trialJobs;
    public IReadOnlyList<AshaReport> Reports => reports;
    public bool IsFinal => SweepStates.IsFinal(State);
    public int PlannedTrials => Spec.PlannedTrials;

    /// <summary>The sampler's evidence: succeeded and stopped trials with a score.</summary>
    public IReadOnlyList<TrialOutcome> Outcomes => SweepTrial.Outcomes(trials);

    /// <summary>The splits are written: trials may start.</summary>
    public void SplitsWritten(string folder)
    {
        Require("write the splits of", SweepStates.Preparing);
        (DataFolder, State) = (folder, SweepStates.Running);
    }

    /// <summary>A new trial, the next index, run by job <paramref name="jobId"/>.</summary>
    public void AddTrial(SweepTrial trial, string jobId)
    {
        Require("add a trial to", SweepStates.Running);
        if (trial.Index != trials.Count) throw new InvalidOperationException($"sweep {Id}: trial {trial.Index} is not the next trial ({trials.Count})");
        if (trials.Count >= PlannedTrials) throw new InvalidOperationException($"sweep {Id}: all {PlannedTrials} trials are created already");
        trials.Add(trial);
        trialJobs[trial.Index] = jobId;
    }

    /// <summary>A trial's evaluation of the metric: recorded, and ASHA's decision (null without early stopping).</summary>
    public AshaDecision? Evaluated(int index, DateTime at, double value)
    {
        var trial = trials[index];
        trial.Evaluated(at, value);
        if (Asha is null) return null;
        var report = new AshaReport(index, trial.Evaluations, value);
        reports.Add(report);
        return Decide(report);
    }

    /// <summary>ASHA's decision on a report (live, or replayed at load), a stop kept by trial.</summary>
    AshaDecision Decide(AshaReport report)
    {
        var decision = Asha!.Report(report);
        if (decision.Action == AshaAction.Stop) stops[report.TrialIndex] = decision.Reason;
        return decision;
    }

    /// <summary>
    /// ASHA's reason when it decided to stop trial <paramref name="index"/>, else null. Rebuilt from the reports at load,
    /// so a trial whose job ended (or a coordinator that stopped) before the stop reached the job still counts as stopped.
    /// </summary>
    public string? StopDecided(int index) => stops.GetValueOrDefault(index);

    /// <summary>A trial's job ended; a succeeded trial better than the best so far becomes the best (returns the one it replaced).</summary>
    public int? EndTrial(int index, string state, DateTime at, string? reason)
    {
        trials[index].End(state, at, reason);
        if (state != TrialStates.Succeeded || trials[index].Value is not { } value) return null;
        if (BestTrial is { } best && !Spec.Better(value, trials[best].Value!.Value)) return null;
        var replaced = BestTrial;
        BestTrial = index;
        return replaced;
    }

    /// <summary>Every trial ended and there is a best: its model is scored on the test set, once.</summary>
    public void StartScoring()
    {
        Require("score", SweepStates.Running);
        if (BestTrial is null) throw new InvalidOperationException($"sweep {Id}: no best trial to score");
        State = SweepStates.Scoring;
    }

    /// <summary>The test set's one scoring is given to job <paramref name="jobId"/> (recorded before the job is added).</summary>
    public void TestJobCreated(string jobId)
    {
        Require("create the test job of", SweepStates.Scoring);
        if (TestJob is not null) throw new InvalidOperationException($"sweep {Id}: its test job {TestJob} exists already");
        TestJob = jobId;
    }

    public void Scored(IReadOnlyDictionary<string, double> metrics, long atUnixMs)
    {
        Require("record the test score of", SweepStates.Scoring);
        (TestMetrics, State, EndedUnixMs) = (metrics, SweepStates.Succeeded, atUnixMs);
    }

    public void Fail(string error, long atUnixMs)
    {
        if (IsFinal) throw new InvalidOperationException($"sweep {Id}: cannot fail a sweep that is {State}");
        (Error, State, EndedUnixMs) = (error, SweepStates.Failed, atUnixMs);
    }

    public void Cancel(long atUnixMs)
    {
        if (IsFinal) throw new InvalidOperationException($"sweep {Id}: cannot cancel a sweep that is {State}");
        (State, EndedUnixMs) = (SweepStates.Cancelled, atUnixMs);
    }

    /// <summary>Loading sweep.json: the record's fields as written, ASHA rebuilt by replaying the reports in their order.</summary>
    internal void Restore(string state, string? error, long? ended, string? dataFolder, int? best, IReadOnlyDictionary<string, double>? test,
        string? testJob, IEnumerable<(SweepTrial Trial, string JobId)> restored, IEnumerable<AshaReport> asha)
    {
        (State, Error, EndedUnixMs, DataFolder, BestTrial, TestMetrics, TestJob) = (state, error, ended, dataFolder, best, test, testJob);
        foreach (var (trial, jobId) in restored)
        {
            trials.Add(trial);
            trialJobs[trial.Index] = jobId;
        }
        reports.AddRange(asha);
        if (Asha is not null) foreach (var report in reports) Decide(report); // the replay: the same decisions, in order
    }

    void Require(string action, string state)
    {
        if (State != state) throw new InvalidOperationException($"sweep {Id}: cannot {action} a sweep that is {State} (only {state})");
    }
}
