using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core;

namespace FineTune.Core.Tests.Coordination;

/// <summary>
/// The scheduler's decisions with a manual clock and fake preparation, in milliseconds: when a job starts, how work is
/// handed over, when a lost worker is noticed, how a group is rebuilt, and when a recovery gives up.
/// </summary>
public class SchedulerTests
{
    readonly InProcessCoordinator c = new();

    [Fact]
    public async Task A_job_waits_for_its_workers_then_each_gets_its_rank_exactly_once()
    {
        var job = c.Submit(workers: 2);
        var w0 = c.Join("worker-0");
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Queued, job.State); // one of two workers: waits
        var w1 = c.Join("worker-1");
        await c.Scheduler.Tick();
        Assert.Equal((JobState.Running, 1L), (job.State, job.Generation));
        var a0 = c.Idle(w0)!;
        Assert.Equal(("job-1", 0, 2), (a0.JobId, a0.Rank, a0.WorldSize));
        var a1 = c.Idle(w1)!;
        Assert.Equal((1, 2, 1L), (a1.Rank, a1.WorldSize, a1.Generation));
        Assert.Null(c.Idle(w1)); // taken once
        Assert.False(c.Busy(w1, a1));
        Assert.NotNull(c.Prepared.Find("job-1"));
        Assert.Empty(c.Workers.Ready());
    }

    [Fact]
    public async Task A_worker_silent_for_the_heartbeat_timeout_starts_a_recovery_and_the_survivor_is_stopped()
    {
        var (job, w0, w1, a0, a1) = await RunningOnTwo();
        c.Clock.Advance(c.Options.HeartbeatTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(c.Busy(w0, a0));
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Running, job.State); // worker-1 is late, not yet lost
        c.Clock.Advance(TimeSpan.FromMilliseconds(2));
        await c.Scheduler.Tick();
        Assert.Equal((JobState.Recovering, 2L), (job.State, job.Generation));
        Assert.Equal("lost worker-1 (no heartbeat for 10 s)", job.Recoveries[^1].Reason);
        Assert.True(c.Busy(w0, a0)); // its generation is fenced off: told to stop
        Assert.True(c.Busy(w1, a1)); // and so is the late one, when it comes back
    }

    [Fact]
    public async Task A_full_group_resumes_at_once_a_smaller_one_only_after_the_grace_and_min_workers()
    {
        var (job, w0, _, a0, _) = await RunningOnTwo(minWorkers: 1);
        c.Lifecycle.Recover(job, "lost worker-1");
        c.Busy(w0, a0);
        c.Idle(w0); // worker-0 let go of the old group; worker-1 is gone
        c.Clock.Advance(c.Options.HeartbeatTimeout); // worker-1's last heartbeat is now too old
        c.Idle(w0);
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Running, job.State); // waited >= grace: continues on 1 (--min-workers 1)
        Assert.Equal((2, 1, "checkpoint-20"), (job.Recoveries[0].FromWorldSize, job.Recoveries[0].ToWorldSize, job.Recoveries[0].ResumedFrom));
        Assert.Equal((1, true), (c.Preparation.Calls[^1].WorldSize, c.Preparation.Calls[^1].Resume));

        var d = new InProcessCoordinator();
        var job2 = d.Submit(workers: 2, minWorkers: 1);
        var v0 = d.Join("worker-0");
        d.Join("worker-1");
        await d.Scheduler.Tick();
        d.Lifecycle.Recover(job2, "a collective failed");
        d.Idle(v0);
        d.Idle(d.Workers.FindByName("worker-1")!);
        await d.Scheduler.Tick();
        Assert.Equal((JobState.Running, 2), (job2.State, job2.Workers.Count)); // both back: no grace needed
    }

    [Fact]
    public async Task A_recovery_without_enough_workers_fails_after_the_recovery_wait()
    {
        var (job, w0, _, a0, _) = await RunningOnTwo();
        c.Lifecycle.Recover(job, "lost worker-1");
        c.Busy(w0, a0);
        c.Idle(w0);
        c.Clock.Advance(c.Options.RecoveryWait - TimeSpan.FromMilliseconds(1));
        c.Idle(w0);
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Recovering, job.State); // one of two, no --min-workers: waits
        c.Clock.Advance(TimeSpan.FromMilliseconds(1));
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("lost worker-1; no group to recover with: 1 ready worker(s) after 120 s, the job needs at least 2 (--min-workers)", job.Error);
    }

    [Fact]
    public async Task A_failed_preparation_fails_the_job_with_its_message_and_frees_the_workers()
    {
        c.Preparation.Failure = new InvalidInputException("--max-length 9000: the model allows at most 512 positions");
        var job = c.Submit(workers: 1);
        c.Join("worker-0");
        await c.Scheduler.Tick();
        Assert.Equal((JobState.Failed, "--max-length 9000: the model allows at most 512 positions"), (job.State, job.Error));
        Assert.Single(c.Workers.Ready());
    }

    [Fact]
    public async Task A_job_cancelled_while_preparing_never_runs_and_a_cancel_after_the_end_is_refused()
    {
        var job = c.Submit(workers: 1);
        var w0 = c.Join("worker-0");
        Assert.True(c.Lifecycle.Prepare(job, [w0]));
        Assert.True(c.Lifecycle.Cancel(job));
        Assert.False(c.Lifecycle.Run(job, [w0], c.Preparation.Prepare(job, [w0], 1, false), resume: false));
        Assert.Null(c.Idle(w0)); // no assignment reached it
        Assert.Equal((JobState.Cancelled, null), (job.State, job.Error));
        Assert.False(c.Lifecycle.Cancel(job));
        Assert.False(c.Lifecycle.Fail(job, "late"));
        Assert.Equal(JobState.Cancelled, job.State);
        await c.Scheduler.Tick();
        Assert.Single(c.Workers.Ready());
    }

    [Fact]
    public async Task Queued_jobs_start_in_order_of_submission_as_workers_free_up()
    {
        var first = c.Submit(workers: 1, id: "job-a");
        var second = c.Submit(workers: 1, id: "job-b");
        var w0 = c.Join("worker-0");
        await c.Scheduler.Tick();
        Assert.Equal((JobState.Running, JobState.Queued), (first.State, second.State));
        var a = c.Idle(w0)!;
        Assert.True(c.Lifecycle.Succeed(first));
        c.Busy(w0, a); // still reports the ended job until it lets go
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Queued, second.State);
        c.Idle(w0);
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Running, second.State);
        Assert.Equal("job-b", c.Idle(w0)!.JobId);
    }

    [Theory]
    [InlineData(10_000, 500)]
    [InlineData(2_000, 100)]
    [InlineData(500, 50)]
    public void Workers_beat_twenty_times_per_heartbeat_timeout_at_most_every_500_ms(int timeoutMs, int intervalMs) =>
        Assert.Equal(intervalMs, (c.Options with { HeartbeatTimeout = TimeSpan.FromMilliseconds(timeoutMs) }).HeartbeatInterval.TotalMilliseconds);

    async Task<(JobRecord, WorkerInfo, WorkerInfo, Assignment, Assignment)> RunningOnTwo(int minWorkers = 0)
    {
        var job = c.Submit(workers: 2, minWorkers: minWorkers);
        var (w0, w1) = (c.Join("worker-0"), c.Join("worker-1"));
        await c.Scheduler.Tick();
        var (a0, a1) = (c.Idle(w0)!, c.Idle(w1)!);
        Assert.Equal(JobState.Running, job.State);
        return (job, w0, w1, a0, a1);
    }

    [Fact]
    public async Task A_worker_killed_right_after_taking_its_rank_is_not_taken_for_the_new_group()
    {
        var c = new InProcessCoordinator();
        var job = c.Submit(workers: 2);
        var (w0, w1) = (c.Join("worker-0"), c.Join("worker-1"));
        await c.Scheduler.Tick();
        var a0 = c.Idle(w0)!;
        Assert.NotNull(c.Idle(w1)); // worker-1 takes its rank and dies before its next heartbeat: its last one said idle
        Assert.False(c.Busy(w0, a0));
        Assert.True(c.Lifecycle.OnRankFailed(job, job.Generation, new RankFailure(0, "worker-0", "CollectiveException: rank 1 closed the connection", 20, Recoverable: true, GroupFailure: true)));
        Assert.True(c.Busy(w0, a0)); // worker-0 is told to stop, and then says it is idle
        Assert.Null(c.Idle(w0));
        await c.Scheduler.Tick();
        Assert.Equal([w0], c.Workers.Ready());
        Assert.Equal(JobState.Recovering, job.State); // waits for a second worker instead of regrouping with a dead one
    }
}
