using FineTune.Contracts.V1;
using FineTune.Core;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// Every change of a job's state, in one place: the record's guarded transition, what goes with it (workers reserved,
/// assigned or released, shards served or dropped), persisted and published, each as one step under the store's lock,
/// so a decision ("is the job still running?") and the change it allows can never be split by another thread. The
/// scheduler, the cluster API (rank failures), the completion of a job and the Jobs API (cancel) all come here.
/// </summary>
public sealed class JobLifecycle(JobStore jobs, WorkerRegistry workers, PreparedJobs prepared, CoordinatorOptions options, ILogger<JobLifecycle> log)
{
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
            return FailHeld(j, failure.Reason);
        if (failure.Recurs(j.Recoveries) is { } earlier)
            return FailHeld(j, $"{failure.Reason} (again at step {failure.Step}, as before recovery {j.Recoveries.IndexOf(earlier) + 1}: a deterministic failure, not retried)");
        return RecoverHeld(j, failure.Reason, failure);
    });

    /// <summary>
    /// Rank 0 of the job's current group says the group stopped for a preemption (SIGTERM on some rank) after saving
    /// and sending a checkpoint: the job recovers from it without the draining workers (they are never ready again).
    /// </summary>
    public bool OnPreempted(JobRecord job, long generation, string reason) =>
        jobs.Update(job, j => j.Generation == generation && j.HasGroup && RecoverHeld(j, reason, null));

    /// <summary>Ends a job with an error and releases its workers (they stop on their next heartbeat). False if it had ended.</summary>
    public bool Fail(JobRecord job, string error) => jobs.Update(job, j => !j.IsTerminal && FailHeld(j, error));

    /// <summary>The user cancels the job: its workers stop on their next heartbeat. False if it had ended.</summary>
    public bool Cancel(JobRecord job) => jobs.Update(job, j =>
    {
        if (j.IsTerminal) return false;
        j.Cancel();
        EndGroup(j);
        return true;
    });

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
        if (job.Restarts >= options.MaxRestarts) return FailHeld(job, $"{reason}; gave up after {job.Restarts} recoveries");
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

    bool FailHeld(JobRecord job, string error)
    {
        log.LogWarning("job {Job} failed: {Error}", job.Id, error);
        job.Fail(error);
        EndGroup(job);
        return true;
    }

    void EndGroup(JobRecord job)
    {
        prepared.Remove(job.Id);
        foreach (var w in workers.OfJob(job.Id)) w.Release();
    }
}
