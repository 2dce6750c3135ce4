using System.Text.Json.Nodes;
using FineTune.Contracts.V1;
using FineTune.Core;
using FineTune.Core.Hub;
using FineTune.Core.Reporting;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// Every change of a job's state, in one place: the record's guarded transition, what goes with it (workers reserved,
/// assigned or released, shards served or dropped), persisted and published, each as one step under the store's lock,
/// so a decision ("is the job still running?") and the change it allows can never be split by another thread. The
/// scheduler, the cluster API (rank failures), the completion of a job, the Jobs API (cancel) and early stopping (Stop)
/// all come here.
/// </summary>
public sealed class JobLifecycle(JobStore jobs, WorkerRegistry workers, PreparedJobs prepared, CoordinatorOptions options, ILogger<JobLifecycle> log)
{
    /// <summary>
    /// The coordinator (re)started with the jobs it loaded: one whose options no longer bind fails with the reason; one
    /// it was running recovers (its workers carry on without us until they notice; the job resumes from its last
    /// checkpoint with the group that re-registers, the new generation fencing the old one off).
    /// </summary>
    public void Reopen()
    {
        foreach (var job in jobs.All())
            jobs.Update(job, j =>
            {
                if (j.IsTerminal) return false;
                if (jobs.Unbound.TryGetValue(j.Id, out var problem))
                    return FailHeld(j, $"its options no longer bind on this coordinator: {problem}", FailureKind.InvalidInput);
                if (j.State is not (JobState.Preparing or JobState.Running or JobState.Recovering)) return false;
                j.Reopen(workers.Now.ToUnixTimeMilliseconds());
                return true;
            });
    }

    /// <summary>The data work's progress on a queued job: published, not persisted (a restart starts the work again).</summary>
    public bool OnDataProgress(JobRecord job, DataProgress progress) => jobs.Update(job, j =>
    {
        if (j.State != JobState.Queued || j.DataReady) return false;
        j.Progress(progress);
        return true;
    }, new JobEvent { JobId = job.Id, Data = progress }, persist: false);

    /// <summary>The job's hub ids are in the cache: their commits go into the record (and job.json) before the data is read.</summary>
    public bool OnHubResolved(JobRecord job, JsonObject sources) => jobs.Update(job, j =>
    {
        if (j.State != JobState.Queued || j.DataReady) return false;
        j.HubResolved(sources);
        return true;
    }, new JobEvent { JobId = job.Id, Message = "from the hub: " + string.Join(", ", sources.Select(s => $"{s.Key} {s.Value?["id"]}@{s.Value?["revision"]} (commit {s.Value?["commit"]})")) });

    /// <summary>The job's data is read and tokenized: from now on the scheduler may give it workers.</summary>
    public bool OnDataReady(JobRecord job) => jobs.Update(job, j =>
    {
        if (j.State != JobState.Queued || j.DataReady) return false;
        j.DataPrepared();
        return true;
    });

    /// <summary>
    /// The data work failed. Invalid input (a bad row, a missing column in a later file) fails the job; a fault (I/O)
    /// counts as a recovery and the work runs again, within the restart limit, unless the same error recurs. Returns
    /// true when the work should run again.
    /// </summary>
    public bool OnDataFailed(JobRecord job, Exception error)
    {
        bool retry = false;
        jobs.Update(job, j =>
        {
            if (j.State != JobState.Queued || j.DataReady) return false;
            if (Faults.IsBadRequest(error)) // a bad row, a file gone or not UTF-8
                return FailHeld(j, ErrorText.FirstLine(Faults.Unwrap(error).Message), FailureKind.InvalidInput);
            var failure = ErrorText.Summary(error);
            // An unreachable hub is transient by nature: the same message again is not a deterministic failure.
            if (Faults.Unwrap(error) is not HubUnavailableException && Recovery.Earlier(j.Recoveries, ErrorText.FirstLine(failure), step: 0) is { } earlier)
                return FailHeld(j, $"reading the data: {failure} (again, as before recovery {j.Recoveries.IndexOf(earlier) + 1}: a deterministic failure, not retried)", FailureKind.Fault);
            if (j.Restarts >= options.MaxRestarts) return FailHeld(j, $"reading the data: {failure}; gave up after {j.Restarts} recoveries", FailureKind.Fault);
            log.LogWarning("job {Job}: reading its data failed, trying again: {Failure}", j.Id, failure);
            j.RetryData(new Recovery { Reason = $"reading the data: {failure}", StartedUnixMs = workers.Now.ToUnixTimeMilliseconds(), Failure = ErrorText.FirstLine(failure), FailedStep = 0 });
            return retry = true;
        });
        return retry;
    }

    /// <summary>
    /// Rank 0 of the job's current group finished a step: progress, published at once; written to job.json with the
    /// job's next durable change (a log entry every logging_steps), not per step (rank 0 waits for this answer), except
    /// the first step after a recovery, which closes the recovery's time lost.
    /// </summary>
    public bool OnStep(JobRecord job, long generation, StepEvent step)
    {
        bool closesRecovery = jobs.Read(() => job.Recoveries is [.., { Seconds: null }]); // only rank 0's reports close it: no race
        return jobs.Update(job, j =>
        {
            if (!j.RunsGeneration(generation)) return false;
            j.Step(step.Step, step.MaxSteps, workers.Now.ToUnixTimeMilliseconds());
            return true;
        }, new JobEvent { JobId = job.Id, Step = step }, persist: closesRecovery);
    }

    /// <summary>Rank 0 of the job's current group logged (loss, learning rate, an evaluation): kept in the job's history.</summary>
    public bool OnLog(JobRecord job, long generation, LogEvent log) => jobs.Update(job, j =>
    {
        if (!j.RunsGeneration(generation)) return false;
        j.History.Add(new LogEntry(log.Step, log.Epoch, log.Values.ToDictionary(kv => kv.Key, kv => kv.Value)).ToJson());
        return true;
    }, new JobEvent { JobId = job.Id, Log = log });

    /// <summary>Rank 0 of the current group ended training at <paramref name="globalStep"/> (results follow).</summary>
    public bool OnFinished(JobRecord job, long generation, int globalStep, Action<JobRecord> results) => jobs.Update(job, j =>
    {
        if (!j.RunsGeneration(generation)) return false;
        j.Finish(globalStep);
        results(j);
        return true;
    });

    /// <summary>A group is chosen for a queued or recovering job: its workers are reserved while it is prepared.</summary>
    public bool Prepare(JobRecord job, IReadOnlyList<WorkerInfo> group) => jobs.Update(job, j =>
    {
        if (j.State is not (JobState.Queued or JobState.Recovering)) return false;
        foreach (var w in group) w.Reserve(j.Id);
        j.Prepare(group.Select(w => w.Name).ToList());
        return true;
    });

    /// <summary>The prepared group runs: its shards are served and each worker gets its assignment on its next heartbeat.
    /// False when the job moved on meanwhile (cancelled, failed, recovering again).</summary>
    public bool Run(JobRecord job, IReadOnlyList<WorkerInfo> group, PreparedGroup ready, bool resume) => jobs.Update(job, j =>
    {
        if (j.State != JobState.Preparing) return false;
        prepared.Set(ready.Shards);
        j.Run(ready.Generation, ready.LabelNames, resume, ready.ResumedFrom);
        for (int rank = 0; rank < group.Count; rank++) group[rank].Assign(ready.Assignments[rank]);
        return true;
    });

    /// <summary>
    /// The job's group is broken (a lost worker, a failed collective): fence it off with a new generation (its reports
    /// and uploads are refused from now on), tell its workers to stop, and wait for a new group; past the restart limit
    /// the job fails instead. Nothing happens to a job without a group (already recovering, or over).
    /// </summary>
    public bool Recover(JobRecord job, string reason) => jobs.Update(job, j => j.HasGroup && RecoverHeld(j, reason, null));

    /// <summary>
    /// A rank of the job's current generation failed. A fault recovers the job like a lost worker, within the restart
    /// limit; invalid input fails it, and so does the same error recurring at the same step after a recovery (a
    /// deterministic failure: failing at once beats burning every restart on it). Reports of an older generation, or
    /// after the first failure of this one, change nothing.
    /// </summary>
    public bool OnRankFailed(JobRecord job, long generation, RankFailure failure) => jobs.Update(job, j =>
    {
        if (j.Generation != generation || !j.HasGroup) return false; // moved on already
        if (!failure.Recoverable)
            return FailHeld(j, failure.Reason, FailureKind.InvalidInput);
        if (failure.Recurs(j.Recoveries) is { } earlier)
            return FailHeld(j, $"{failure.Reason} (again at step {failure.Step}, as before recovery {j.Recoveries.IndexOf(earlier) + 1}: a deterministic failure, not retried)", FailureKind.Fault);
        return RecoverHeld(j, failure.Reason, failure);
    });

    /// <summary>
    /// Rank 0 of the job's current group says the group stopped for a preemption (SIGTERM on some rank) after saving
    /// and sending a checkpoint: the job recovers from it without the draining workers (they are never ready again).
    /// </summary>
    public bool OnPreempted(JobRecord job, long generation, string reason) =>
        jobs.Update(job, j => j.Generation == generation && j.HasGroup && RecoverHeld(j, reason, null));

    /// <summary>Ends a job with an error and releases its workers (they stop on their next heartbeat). False if it had ended.</summary>
    public bool Fail(JobRecord job, string error, FailureKind kind = FailureKind.Fault) => jobs.Update(job, j => !j.IsTerminal && FailHeld(j, error, kind));

    /// <summary>The user cancels the job: its workers stop on their next heartbeat. False if it had ended.</summary>
    public bool Cancel(JobRecord job) => jobs.Update(job, j =>
    {
        if (j.IsTerminal) return false;
        j.Cancel();
        EndGroup(j);
        return true;
    });

    /// <summary>
    /// The coordinator stops the job early (a sweep's early stopping): it ends as stopped with the reason, not failed;
    /// its workers are released as for a cancel (told to stop on their next heartbeat, then free for other jobs); its
    /// history, metrics and checkpoints are kept. False if it had ended, as for a cancel.
    /// </summary>
    public bool Stop(JobRecord job, string reason) => jobs.Update(job, j =>
    {
        if (j.IsTerminal) return false;
        j.Stop(reason);
        log.LogInformation("job {Job} stopped: {Reason}", j.Id, j.StopReason);
        EndGroup(j);
        return true;
    });

    /// <summary>Stop by id, for callers that keep ids (a sweep's trials). Throws KeyNotFoundException for an unknown job.</summary>
    public bool Stop(string jobId, string reason) => Stop(jobs.Find(jobId) ?? throw new KeyNotFoundException($"unknown job '{jobId}'"), reason);

    /// <summary>Every rank finished and the results are written: the job succeeded and its workers are free.</summary>
    public bool Succeed(JobRecord job) => jobs.Update(job, j =>
    {
        if (j.State != JobState.Running) return false;
        j.Succeed();
        prepared.Remove(j.Id);
        foreach (var w in workers.OfJob(j.Id)) w.Finish();
        return true;
    });

    bool RecoverHeld(JobRecord job, string reason, RankFailure? failure)
    {
        if (job.Restarts >= options.MaxRestarts) return FailHeld(job, $"{reason}; gave up after {job.Restarts} recoveries", FailureKind.Fault);
        log.LogWarning("job {Job} recovering: {Reason}", job.Id, reason);
        job.Recover(new Recovery
        {
            Reason = reason,
            AtStep = job.GlobalStep,
            FromWorldSize = job.Workers.Count,
            StartedUnixMs = workers.Now.ToUnixTimeMilliseconds(),
            Failure = failure is { GroupFailure: false } ? ErrorText.FirstLine(failure.Error) : null,
            FailedStep = failure is { GroupFailure: false } ? failure.Step : null,
        });
        foreach (var w in workers.OfJob(job.Id)) w.Release();
        return true;
    }

    bool FailHeld(JobRecord job, string error, FailureKind kind)
    {
        log.LogWarning("job {Job} failed: {Error}", job.Id, error);
        job.Fail(error, kind);
        EndGroup(job);
        return true;
    }

    void EndGroup(JobRecord job)
    {
        prepared.Remove(job.Id);
        foreach (var w in workers.OfJob(job.Id)) w.Release();
    }
}
