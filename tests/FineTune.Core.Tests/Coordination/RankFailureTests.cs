using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core.Tests.Coordination;

namespace FineTune.Core.Tests.Coordination;

/// <summary>The coordinator's verdict on a rank's failure, without processes: recover, or fail the job.</summary>
public class RankFailureTests
{
    static (JobLifecycle Scheduler, InProcessCoordinator Coordinator, JobRecord Job) Running()
    {
        var coordinator = new InProcessCoordinator();
        return (coordinator.Lifecycle, coordinator, coordinator.Running("worker-0", "worker-1"));
    }

    // What the scheduler does once a new group is running.
    static void Regrouped(InProcessCoordinator coordinator, JobRecord job) => coordinator.Regroup(job);

    static RankFailure Fault(int step, string error = "ExternalException: Expected false to be true, but got false.", int rank = 1, bool group = false) =>
        new(rank, $"worker-{rank}", error, step, Recoverable: true, GroupFailure: group);

    [Fact]
    public void A_fault_recovers_the_job_and_names_the_rank_the_worker_and_the_error()
    {
        var (scheduler, _, job) = Running();
        scheduler.OnRankFailed(job, job.Generation, Fault(30));
        Assert.Equal(JobState.Recovering, job.State);
        var r = Assert.Single(job.Recoveries);
        Assert.Equal("rank 1 (worker-1): ExternalException: Expected false to be true, but got false.", r.Reason);
        Assert.Equal(30, r.FailedStep);
        Assert.Null(job.Error);
    }

    [Fact]
    public void The_same_error_at_the_same_step_after_a_recovery_fails_at_once()
    {
        var (scheduler, jobs, job) = Running();
        scheduler.OnRankFailed(job, job.Generation, Fault(30, rank: 1));
        Regrouped(jobs, job);
        scheduler.OnRankFailed(job, job.Generation, Fault(30, rank: 0)); // another rank, same error, same step
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(1, job.Restarts);
        Assert.Equal("rank 0 (worker-0): ExternalException: Expected false to be true, but got false. (again at step 30, as before recovery 1: a deterministic failure, not retried)", job.Error);
    }

    [Fact]
    public void A_different_step_a_different_error_or_a_broken_group_is_retried()
    {
        var (scheduler, jobs, job) = Running();
        scheduler.OnRankFailed(job, job.Generation, Fault(30));
        foreach (var again in new[] { Fault(40), Fault(30, "OutOfMemoryException: no room"), Fault(50, "CollectiveException: AllReduce #3: timed out.", group: true), Fault(50, "CollectiveException: AllReduce #3: timed out.", group: true) })
        {
            Regrouped(jobs, job);
            scheduler.OnRankFailed(job, job.Generation, again);
            Assert.True(job.State == JobState.Recovering, $"{again}: {job.Error}");
        }
        Assert.Equal(5, job.Restarts);
    }

    [Fact]
    public void Restarts_are_limited_invalid_input_fails_at_once_and_stale_reports_change_nothing()
    {
        var (scheduler, jobs, job) = Running();
        for (int step = 10; step <= 50; step += 10)
        {
            scheduler.OnRankFailed(job, job.Generation, Fault(step));
            Regrouped(jobs, job);
        }
        scheduler.OnRankFailed(job, job.Generation - 1, Fault(60)); // an older generation's report
        Assert.Equal(JobState.Running, job.State);
        scheduler.OnRankFailed(job, job.Generation, Fault(60));
        Assert.Equal(JobState.Failed, job.State);
        Assert.EndsWith("; gave up after 5 recoveries", job.Error);

        var (scheduler2, _, job2) = Running();
        scheduler2.OnRankFailed(job2, job2.Generation, new RankFailure(0, "worker-0", "InvalidInputException: --batch-size must be at least 1", 0, Recoverable: false));
        Assert.Equal(JobState.Failed, job2.State);
        Assert.Equal(0, job2.Restarts);
        Assert.Equal("rank 0 (worker-0): InvalidInputException: --batch-size must be at least 1", job2.Error);
    }
}
