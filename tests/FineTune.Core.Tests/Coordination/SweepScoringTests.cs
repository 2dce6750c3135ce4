using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Coordinator.Sweeps;
using FineTune.Core.Sweeps;

namespace FineTune.Core.Tests.Coordination;

/// <summary>
/// A sweep's one scoring of its test set on the coordinator's side (SweepRunner.Scoring.cs): the test job (kind
/// evaluate) after the last trial, its failure or cancellation failing the sweep, CancelSweep cancelling it, and a
/// restart recovering it with its score recorded once. The main path is in SweepRunnerTests.
/// </summary>
public class SweepScoringTests
{
    readonly SweepCoordinator s = new();

    public SweepScoringTests()
    {
        s.C.Join("worker-0");
        s.C.Join("worker-1");
    }

    /// <summary>Two trials run to the end (trial 1 the best); the sweep is scoring, its test job created and running.</summary>
    async Task<(SweepRecord Sweep, JobRecord Test)> Scoring()
    {
        var sweep = s.Submit(SweepCoordinator.File.Replace("trials: 4", "trials: 2"));
        await s.Tick();
        var (t0, t1) = (s.TrialJob(sweep, 0), s.TrialJob(sweep, 1));
        s.Evaluate(t0, 0.7);
        s.Evaluate(t1, 0.8);
        Assert.True(s.C.Lifecycle.Succeed(t0));
        Assert.True(s.C.Lifecycle.Succeed(t1));
        await s.Tick();
        await s.Tick();
        var test = s.TestJob(sweep);
        Assert.Equal(JobState.Running, test.State);
        return (sweep, test);
    }

    [Fact]
    public async Task A_failed_or_cancelled_test_job_fails_the_sweep_with_its_reason()
    {
        var (sweep, test) = await Scoring();
        Assert.True(s.C.Lifecycle.Fail(test, "ValueError: test.jsonl line 3: label 7 is not a class"));
        await s.Tick();
        Assert.Equal(SweepStates.Failed, sweep.State);
        Assert.Equal("scoring the test set: ValueError: test.jsonl line 3: label 7 is not a class", sweep.Error);
        Assert.Null(sweep.TestMetrics);
        Assert.Empty(s.Work.Reports);

        var other = new SweepScoringTests();
        (sweep, test) = await other.Scoring();
        Assert.True(other.s.C.Lifecycle.Cancel(test)); // finetune cancel TEST_JOB
        await other.s.Tick();
        Assert.Equal((SweepStates.Failed, $"scoring the test set: its job {test.Id} was cancelled"), (sweep.State, sweep.Error));
    }

    [Fact]
    public async Task Cancelling_a_scoring_sweep_cancels_its_test_job()
    {
        var (sweep, test) = await Scoring();
        Assert.True(s.Runner.Cancel(sweep));
        Assert.Equal((SweepStates.Cancelled, JobState.Cancelled), (sweep.State, test.State));
    }

    [Fact]
    public async Task A_restart_while_scoring_recovers_the_test_job_and_records_its_score_once()
    {
        var (sweep, test) = await Scoring();
        var restarted = new SweepCoordinator(s.C.Options.DataDir);
        var again = restarted.Sweeps.Find(sweep.Id)!;
        Assert.Equal((SweepStates.Scoring, test.Id), (again.State, again.TestJob));
        var job = restarted.C.Jobs.Find(test.Id)!;
        Assert.Equal((JobState.Recovering, JobKinds.Evaluate), (job.State, job.Kind)); // recovered as any job, its kind kept
        restarted.C.Join("worker-0");
        await restarted.Tick();
        await restarted.Tick();
        Assert.Equal(JobState.Running, job.State);
        Assert.Single(restarted.C.Jobs.All(), j => j.IsEvaluation); // no second test job
        restarted.Score(job, 0.6, 40);
        await restarted.Tick();
        Assert.Equal((SweepStates.Succeeded, 0.6), (again.State, again.TestMetrics!["test_accuracy"]));
    }

    [Fact]
    public async Task The_test_job_goes_only_to_a_worker_that_runs_evaluate_jobs()
    {
        var c = new SweepCoordinator();
        c.C.Join("worker-0", evaluates: false); // an older build: it would ignore Assignment.evaluate_only and train
        var sweep = c.Submit(SweepCoordinator.File.Replace("trials: 4", "trials: 1"));
        await c.Tick();
        var t0 = c.TrialJob(sweep, 0);
        Assert.Equal(JobState.Running, t0.State); // it trains as ever
        c.Evaluate(t0, 0.8);
        Assert.True(c.C.Lifecycle.Succeed(t0));
        await c.Tick();
        await c.Tick();
        var test = c.TestJob(sweep);
        Assert.Equal(JobState.Queued, test.State); // the only ready worker cannot run it
        c.C.Join("worker-1");
        await c.Tick();
        Assert.Equal(JobState.Running, test.State);
        Assert.Equal(["worker-1"], test.Workers);
    }
}
