using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core;
using FineTune.Core.Sweeps;
using SweepTrial = FineTune.Core.Sweeps.SweepTrial;

namespace FineTune.Coordinator.Sweeps;

/// <summary>
/// Runs the coordinator's sweeps, every tick: follows each live trial's job (its new evaluations of the sweep metric go
/// to ASHA, whose Stop ends the job through <see cref="JobLifecycle.Stop(JobRecord, string)"/>; its end ends the trial),
/// then creates trials lazily, oldest sweep first, while ready workers are left over after the queued and recovering
/// jobs that could start now (so never more trials live than can run, and an ordinary job submitted mid-sweep goes
/// before the sweep's later trials). Each trial is an ordinary job (<see cref="JobRecord.SweepId"/>): the scheduler
/// runs, recovers and checkpoints it as any other. Non-best trials' outputs and checkpoints are deleted as they end;
/// after the last trial the best one's model is scored on the test set once (<see cref="SweepWork"/>).
/// </summary>
public sealed class SweepRunner(SweepStore sweeps, JobStore jobs, WorkerRegistry workers, JobLifecycle lifecycle, SweepWork work,
    ILogger<SweepRunner> log) : BackgroundService
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> lateStops = new(); // "sweep/trial" -> reason

    /// <summary>Starts a trial job's data work (JobDataWork.Start; tests mark the data ready themselves).</summary>
    public Action<JobRecord> StartData { get; set; } = _ => { };

    /// <summary>A new sweep: its splits are written in the background, then its trials start.</summary>
    public Task Start(SweepRecord sweep) => Task.Run(() =>
    {
        try
        {
            var folder = work.WriteSplits(sweep);
            sweeps.Update(sweep, s => s.State == SweepStates.Preparing && Do(() => s.SplitsWritten(folder)));
            log.LogInformation("sweep {Sweep}: splits written to {Folder}", sweep.Id, folder);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "sweep {Sweep}: writing its splits failed", sweep.Id);
            sweeps.Update(sweep, s => !s.IsFinal && Do(() => s.Fail($"writing the splits: {ErrorText.FirstLine(Faults.Unwrap(e).Message)}", NowMs)));
        }
    });

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        // After a restart: a sweep still writing its splits starts again; one that was scoring scores again.
        foreach (var sweep in sweeps.All())
            if (sweep.State == SweepStates.Preparing) _ = Start(sweep);
            else if (sweep.State == SweepStates.Scoring) _ = Score(sweep);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                _ = Tick();
            }
            catch (Exception e)
            {
                log.LogError(e, "sweep tick failed");
            }
            await Task.Delay(250, stop).ContinueWith(_ => { });
        }
    }

    /// <summary>One pass. Returns the test scorings it started (tests await them).</summary>
    public Task Tick()
    {
        var scorings = new List<Task>();
        foreach (var sweep in sweeps.All().Where(s => s.State == SweepStates.Running))
            if (Observe(sweep)) scorings.Add(Score(sweep));
        CreateTrials();
        return Task.WhenAll(scorings);
    }

    /// <summary>Cancels the sweep and its live trials (their jobs cancelled, the trials recorded as cancelled). False if it had ended.</summary>
    public bool Cancel(SweepRecord sweep)
    {
        List<string> live = [];
        if (!sweeps.Update(sweep, s =>
        {
            if (s.IsFinal) return false;
            foreach (var t in s.Trials.Where(t => t.State == TrialStates.Running))
            {
                s.EndTrial(t.Index, TrialStates.Cancelled, Now, "the sweep was cancelled");
                live.Add(s.TrialJobs[t.Index]);
            }
            s.Cancel(NowMs);
            return true;
        })) return false;
        foreach (var id in live)
            if (jobs.Find(id) is { } job) lifecycle.Cancel(job);
        return true;
    }

    /// <summary>Follows the sweep's live trials; true when the last one ended and the best is to be scored.</summary>
    bool Observe(SweepRecord sweep)
    {
        foreach (var trial in sweep.Trials.Where(t => t.State == TrialStates.Running).ToList())
        {
            var jobId = sweep.TrialJobs[trial.Index];
            if (jobs.Find(jobId) is not { } job)
            {
                CreateJob(sweep, trial, jobId); // the coordinator stopped between recording the trial and adding its job
                continue;
            }
            var (values, ended) = jobs.Read(() => (Evaluations(job, sweep.Spec.Metric), job.IsTerminal ? job : null));
            var key = $"{sweep.Id}/{trial.Index}";
            // A job stopped early (by ASHA) may have logged evaluations after the decision: they count no more. Neither
            // do those of a short trial whose job ended before the decision reached it (it ended between two passes).
            for (int k = trial.Evaluations; ended is not { State: JobState.Stopped } && !lateStops.ContainsKey(key) && k < values.Count; k++)
            {
                AshaDecision? decision = null;
                sweeps.Update(sweep, s => s.State == SweepStates.Running && Do(() => decision = s.Evaluated(trial.Index, Now, values[k])));
                if (decision is { Action: AshaAction.Stop } stop)
                {
                    log.LogInformation("sweep {Sweep}: trial {Trial} ({Job}): {Reason}", sweep.Id, trial.Index, job.Id, stop.Reason);
                    if (!lifecycle.Stop(job, stop.Reason)) lateStops[key] = $"{stop.Reason} (its job had already ended)";
                    break;
                }
            }
            if (ended is not null) EndTrial(sweep, trial, ended, lateStops.TryRemove(key, out var late) ? late : null);
        }
        bool done = false;
        sweeps.Update(sweep, s =>
        {
            if (s.State != SweepStates.Running || s.Trials.Count < s.PlannedTrials || s.Trials.Any(t => t.State == TrialStates.Running)) return false;
            if (s.BestTrial is not null) s.StartScoring();
            else s.Fail(s.Trials.All(t => t.State == TrialStates.Failed)
                ? $"every trial failed (trial {s.Trials[^1].Index}: {s.Trials[^1].Reason})"
                : "no trial completed: every trial was stopped, cancelled or failed, so there is no model to score", NowMs);
            return done = s.State == SweepStates.Scoring;
        });
        return done;
    }

    /// <param name="lateStop">ASHA's stop of a trial whose job had ended first: the trial counts as stopped all the same</param>
    void EndTrial(SweepRecord sweep, SweepTrial trial, JobRecord job, string? lateStop)
    {
        var (state, reason) = lateStop is not null ? (TrialStates.Stopped, lateStop) : job.State switch
        {
            JobState.Succeeded => (TrialStates.Succeeded, (string?)null),
            JobState.Stopped => (TrialStates.Stopped, job.StopReason),
            JobState.Cancelled => (TrialStates.Stopped, $"its job {job.Id} was cancelled"),
            _ => (TrialStates.Failed, job.Error),
        };
        int? replaced = null;
        if (!sweeps.Update(sweep, s => s.State == SweepStates.Running && Do(() => replaced = s.EndTrial(trial.Index, state, Now, reason)))) return;
        log.LogInformation("sweep {Sweep}: trial {Trial} ({Job}) {State}{Reason}", sweep.Id, trial.Index, job.Id, state, reason is null ? "" : ": " + reason);
        if (replaced is { } previous) work.DeleteResults(jobs.Find(sweep.TrialJobs[previous]));
        if (sweep.BestTrial != trial.Index) work.DeleteResults(job);
    }

    /// <summary>Creates trials while ready workers are left over after the queued and recovering jobs that could start now.</summary>
    void CreateTrials()
    {
        var ready = workers.Ready();
        int promised = jobs.All().Where(j => j.State is JobState.Queued or JobState.Recovering && j.RequestedWorkers <= ready.Count).Sum(j => Math.Max(1, j.RequestedWorkers));
        int free = ready.Count - promised;
        foreach (var sweep in sweeps.All().Where(s => s.State == SweepStates.Running))
            while (free >= sweep.Spec.WorkersPerTrial && sweep.Trials.Count < sweep.PlannedTrials)
            {
                CreateTrial(sweep, ready);
                free -= sweep.Spec.WorkersPerTrial;
            }
    }

    void CreateTrial(SweepRecord sweep, IReadOnlyList<WorkerInfo> ready)
    {
        int index = sweep.Trials.Count;
        var config = sweep.Spec.CreateSampler().Next(index, sweep.Outcomes);
        var trial = new SweepTrial(index, config, Now);
        var jobId = $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        // The record first: a restart finds the trial and adds its job if it is missing (Observe).
        if (!sweeps.Update(sweep, s => s.State == SweepStates.Running && s.Trials.Count == index && Do(() => s.AddTrial(trial, jobId)))) return;
        log.LogInformation("sweep {Sweep}: trial {Trial} ({Config}) as job {Job}", sweep.Id, index, config, jobId);
        CreateJob(sweep, trial, jobId, ready);
    }

    void CreateJob(SweepRecord sweep, SweepTrial trial, string jobId, IReadOnlyList<WorkerInfo>? ready = null)
    {
        Core.Arguments.TrainingArguments spec;
        try
        {
            spec = SweepWork.TrialSpec(sweep, trial.Config);
        }
        catch (Exception e) when (Faults.IsBadRequest(e))
        {
            sweeps.Update(sweep, s => s.State == SweepStates.Running && Do(() => s.EndTrial(trial.Index, TrialStates.Failed, Now, ErrorText.FirstLine(e.Message))));
            return;
        }
        var job = jobs.Add(new JobRecord
        {
            Id = jobId,
            Spec = spec,
            RequestId = $"{sweep.Id}/{trial.Name}",
            SweepId = sweep.Id,
            CreatedUnixMs = NowMs,
            RequestedWorkers = Placement.WorldSize(spec, ready ?? workers.Ready()),
            MinWorkers = spec.MinWorkers ?? 0,
        });
        StartData(job);
    }

    Task Score(SweepRecord sweep) => Task.Run(() =>
    {
        try
        {
            var best = jobs.Find(sweep.TrialJobs[sweep.BestTrial!.Value]) ?? throw new InvalidOperationException("the best trial's job is gone");
            var metrics = work.ScoreTest(sweep, best);
            sweeps.Update(sweep, s => s.State == SweepStates.Scoring && Do(() => s.Scored(metrics, NowMs)));
            log.LogInformation("sweep {Sweep}: best trial {Trial}, test {Metrics}", sweep.Id, sweep.BestTrial, string.Join(", ", metrics.Select(kv => $"{kv.Key} {kv.Value:G4}")));
            try
            {
                work.WriteReport(sweep, best);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.LogWarning(e, "sweep {Sweep}: writing its report failed", sweep.Id); // the sweep's result stands
            }
            work.PushBest(sweep, best);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "sweep {Sweep}: scoring the test set failed", sweep.Id);
            sweeps.Update(sweep, s => !s.IsFinal && Do(() => s.Fail($"scoring the test set: {ErrorText.FirstLine(Faults.Unwrap(e).Message)}", NowMs)));
        }
    });

    /// <summary>
    /// The values of the sweep metric in the job's history, one per evaluation, in order (call under the job store's
    /// lock). One per step: a recovered job replays the steps after the checkpoint it resumed from, and an evaluation it
    /// had logged there is logged again at the same step; the first is the one the sweep recorded (and ASHA judged).
    /// </summary>
    static List<double> Evaluations(JobRecord job, string metric)
    {
        var key = SweepWork.HistoryKey(metric);
        return [.. job.History.Where(e => e[key] is not null).DistinctBy(e => (int)e["step"]!).Select(e => (double)e[key]!)];
    }

    DateTime Now => workers.Now.UtcDateTime;
    long NowMs => workers.Now.ToUnixTimeMilliseconds();

    static bool Do(Action action)
    {
        action();
        return true;
    }
}
