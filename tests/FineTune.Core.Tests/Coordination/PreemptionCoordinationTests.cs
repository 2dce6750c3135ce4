using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Core.Tests.Coordination;

/// <summary>
/// The coordinator's side of a preemption (a worker got SIGTERM and drains), with a manual clock: a draining worker
/// takes no new work and is never ready; it is held while its rank winds down, until rank 0's preemption report (or
/// any recovery) lets go of it, then told to leave and forgotten; one that drains before starting its rank makes its
/// job regroup at once; the job recovers from rank 0's checkpoint without it.
/// </summary>
public class PreemptionCoordinationTests
{
    readonly InProcessCoordinator c = new();
    readonly Heartbeats heartbeats;

    public PreemptionCoordinationTests() => heartbeats = new Heartbeats(c.Jobs, c.Workers, c.Lifecycle, NullLogger<Heartbeats>.Instance);

    HeartbeatResponse Beat(WorkerInfo w, Assignment? running = null, bool draining = false) =>
        heartbeats.On(w, new HeartbeatRequest { WorkerId = w.Id, JobId = running?.JobId ?? "", Generation = running?.Generation ?? 0, Draining = draining });

    [Fact]
    public void An_idle_draining_worker_is_told_to_leave_and_forgotten()
    {
        var w = c.Join("worker-0");
        Assert.Single(c.Workers.Ready());
        Assert.True(Beat(w, draining: true).Leave);
        Assert.Null(c.Workers.Find(w.Id));
        Assert.Empty(c.Workers.Ready());
    }

    [Fact]
    public async Task A_draining_rank_is_held_until_rank_0_reports_then_the_job_recovers_without_it()
    {
        var job = c.Submit(workers: 2, minWorkers: 1);
        var (w0, w1) = (c.Join("worker-0"), c.Join("worker-1"));
        await c.Scheduler.Tick();
        var (a0, a1) = (Beat(w0).Assignment, Beat(w1).Assignment);
        // worker-1 got SIGTERM: still running its rank, then stopped with the group, while rank 0 uploads.
        Assert.False(Beat(w1, a1, draining: true).Cancel);
        var idle = Beat(w1, draining: true);
        Assert.False(idle.Leave); // the job still holds it
        Assert.Null(idle.Assignment);
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Running, job.State); // alive and held: not lost, no second recovery

        var report = new Preempted { Step = 43, Checkpoint = "checkpoint-43" };
        report.Ranks.Add(1);
        Assert.False(c.Lifecycle.OnPreempted(job, a0.Generation - 1, Preemption.Reason(job, report))); // a stale group's word changes nothing
        Assert.True(c.Lifecycle.OnPreempted(job, a0.Generation, Preemption.Reason(job, report)));
        Assert.Equal(JobState.Recovering, job.State);
        Assert.Equal("preempted: rank 1 (worker-1) is shutting down; the group stopped after step 43 and saved checkpoint-43", job.Recoveries[^1].Reason);
        Assert.True(Beat(w1, draining: true).Leave);
        Assert.Null(c.Workers.FindByName("worker-1"));

        // worker-0 lets go of the old group; after the grace the job goes on with it alone (--min-workers 1).
        Assert.True(Beat(w0, a0).Cancel);
        Beat(w0);
        c.Clock.Advance(c.Options.RecoveryGrace);
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(["worker-0"], job.Workers);
        Assert.Equal(1, Beat(w0).Assignment!.WorldSize);
    }

    [Fact]
    public async Task A_worker_that_drains_before_taking_its_rank_makes_the_job_regroup_at_once()
    {
        var job = c.Submit(workers: 2, minWorkers: 1);
        var (w0, w1) = (c.Join("worker-0"), c.Join("worker-1"));
        await c.Scheduler.Tick();
        Beat(w0); // rank 0 starts; worker-1 gets SIGTERM before it takes rank 1
        var response = Beat(w1, draining: true);
        Assert.Null(response.Assignment);
        Assert.Equal(JobState.Recovering, job.State);
        Assert.Equal("worker-1 is shutting down (preempted) before it started its rank", job.Recoveries[^1].Reason);
        Assert.True(Beat(w1, draining: true).Leave); // released by the recovery
        Assert.DoesNotContain(c.Workers.Ready(), w => w.Name == "worker-1");
    }
}
