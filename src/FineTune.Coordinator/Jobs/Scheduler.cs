using FineTune.Contracts.V1;
using FineTune.Core;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// The coordinator's background loop. Every tick it: recovers running jobs that lost a worker (no heartbeat for the
/// timeout); gives each recovering job a new group (at the same world size when enough workers are ready, else after a
/// grace with as few as --min-workers, else it fails after the recovery wait); and starts queued jobs oldest first once
/// enough workers of the kind each needs are ready, a job that cannot start not blocking smaller ones behind it (Placement: CUDA or CPU, never a mix). A chosen group is prepared (JobPreparation) off the loop, then runs (JobLifecycle).
/// </summary>
public sealed class Scheduler(JobStore jobs, WorkerRegistry workers, PreparedJobs prepared, JobLifecycle lifecycle, IJobPreparation preparation,
    CoordinatorOptions options, ILogger<Scheduler> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                _ = Tick(); // preparations run on; the loop goes on watching heartbeats meanwhile
            }
            catch (Exception e)
            {
                log.LogError(e, "scheduler tick failed");
            }
            await Task.Delay(250, stop).ContinueWith(_ => { });
        }
    }

    /// <summary>One pass of the loop. Returns the preparations it started (tests await them; the loop does not).</summary>
    public Task Tick()
    {
        foreach (var id in prepared.Ids)
            if (jobs.Find(id) is not { IsTerminal: false }) prepared.Remove(id); // no more shards for an ended job
        foreach (var job in jobs.All().Where(j => j.State == JobState.Running))
        {
            var lost = job.Workers.Where(name => workers.FindByName(name) is not { } w || !workers.IsAlive(w)).ToList();
            if (lost.Count > 0) lifecycle.Recover(job, $"lost {string.Join(", ", lost)} (no heartbeat for {options.HeartbeatTimeout.TotalSeconds:0.#} s)");
        }
        var started = new List<Task>();
        foreach (var job in jobs.All().Where(j => j.State == JobState.Recovering))
            if (Regroup(job) is { } group) started.Add(Start(job, group, resume: true));

        // Queued jobs in creation order (a sweep's trials among them), workers only for data that is ready; a job that
        // cannot start now does not block smaller ones behind it (backfill).
        var free = workers.Ready().ToList();
        foreach (var next in jobs.All().Where(j => j.State == JobState.Queued && j.DataReady))
        {
            if (free.Count == 0) break;
            var ready = Placement.Candidates(next, free);
            int needed = next.RequestedWorkers > 0 ? next.RequestedWorkers : Math.Max(1, ready.Count);
            if (ready.Count < needed) continue;
            var group = ready.Take(needed).ToList();
            free.RemoveAll(group.Contains);
            started.Add(Start(next, group, resume: false));
        }
        return Task.WhenAll(started);
    }

    /// <summary>
    /// The group a recovering job restarts with: its full world size as soon as that many workers are ready; after a
    /// short grace for the survivors to let go of the old group, as many as are ready if --min-workers allows. Null to
    /// wait; after the recovery wait the job fails.
    /// </summary>
    List<WorkerInfo>? Regroup(JobRecord job)
    {
        var recovery = job.Recoveries[^1];
        var waited = workers.Now - DateTimeOffset.FromUnixTimeMilliseconds(recovery.StartedUnixMs);
        var ready = Placement.Candidates(job, workers.Ready());
        int want = job.RequestedWorkers, min = job.MinWorkers > 0 ? job.MinWorkers : want;
        int take = ready.Count >= want ? want : ready.Count >= min && waited >= options.RecoveryGrace ? ready.Count : 0;
        if (take > 0) return ready.Take(take).ToList();
        if (waited >= options.RecoveryWait)
            lifecycle.Fail(job, $"{recovery.Reason}; no group to recover with: {ready.Count} ready worker(s) after {options.RecoveryWait.TotalSeconds:0} s, the job needs at least {min} (--min-workers)");
        return null;
    }

    Task Start(JobRecord job, List<WorkerInfo> group, bool resume)
    {
        if (!lifecycle.Prepare(job, group)) return Task.CompletedTask;
        var generation = job.Generation + 1;
        return Task.Run(() =>
        {
            using var scope = log.BeginScope(new Dictionary<string, object> { ["JobId"] = job.Id });
            try
            {
                var ready = preparation.Prepare(job, group, generation, resume);
                if (lifecycle.Run(job, group, ready, resume)) log.LogInformation("job {Job} running on {Workers}", job.Id, string.Join(", ", job.Workers));
            }
            catch (Exception e)
            {
                log.LogWarning(e, "job {Job} failed while preparing", job.Id);
                // Our own messages name the field; anything else in one line.
                lifecycle.Fail(job, Faults.IsInvalidInput(e) ? e.Message : ErrorText.Summary(e), Faults.IsInvalidInput(e) ? FailureKind.InvalidInput : FailureKind.Fault);
            }
        });
    }
}
