using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Coordinator.Sweeps;
using FineTune.Core.Sweeps;

namespace FineTune.Core.Tests.Coordination;

/// <summary>
/// Sweeps on the coordinator, in one process: trials created lazily as ordinary jobs (never more than the free workers),
/// an ordinary job submitted mid-sweep served before the sweep's later trials, ASHA's Stop ending a trial's job as
/// stopped, failed and cancelled trials, the test set scored once on the best trial, and a restart rebuilding it all.
/// </summary>
public class SweepRunnerTests
{
    readonly SweepCoordinator s = new();

    public SweepRunnerTests()
    {
        s.C.Join("worker-0");
        s.C.Join("worker-1");
    }

    [Fact]
    public async Task Trials_are_created_lazily_as_jobs_for_the_free_workers_and_an_ordinary_job_goes_before_later_trials()
    {
        var sweep = s.Submit();
        await s.Tick();
        Assert.Equal(2, sweep.Trials.Count); // 2 workers: 2 of the 4 trials, not all 4
        var (t0, t1) = (s.TrialJob(sweep, 0), s.TrialJob(sweep, 1));
        Assert.Equal((JobState.Running, JobState.Running), (t0.State, t1.State)); // both at once, one worker each
        Assert.Equal(("sweep-1", "sweep-1"), (t0.SweepId, t1.SweepId));
        Assert.Equal("sweep-1", JobStore.ToMessage(t0).SweepId);
        Assert.Equal("sweep-1", (string?)t0.ToJson()["sweep_id"]); // the job object names its sweep (finetune status --json)
        Assert.EndsWith("trials", t0.Spec.Dataset);
        Assert.Equal(sweep.Trials[0].Config["learning_rate"], Core.Arguments.ArgumentTable.Canonical(t0.Spec).First(kv => kv.Key == "learning_rate").Value);
        await s.Tick();
        Assert.Equal(2, sweep.Trials.Count); // still no free worker

        var ordinary = s.C.Submit(workers: 1, id: "job-ordinary"); // submitted mid-sweep
        Assert.Null(ordinary.ToJson()["sweep_id"]);
        s.Evaluate(t0, 0.8);
        Assert.True(s.C.Lifecycle.Succeed(t0));
        await s.Tick(); // the worker is let go
        await s.Tick();
        Assert.Equal(JobState.Running, ordinary.State); // the ordinary job took the freed worker
        Assert.Equal(2, sweep.Trials.Count); // no third trial meanwhile
        Assert.Equal(TrialStates.Succeeded, sweep.Trials[0].State);
        Assert.Equal(0, sweep.BestTrial);
    }

    [Fact]
    public async Task Asha_stop_ends_the_trials_job_as_stopped_and_its_worker_goes_to_the_next_trial()
    {
        var sweep = s.Submit();
        await s.Tick();
        var (t0, t1) = (s.TrialJob(sweep, 0), s.TrialJob(sweep, 1));
        s.Evaluate(t0, 0.9);
        await s.Tick(); // first at rung 0: continue
        s.Evaluate(t1, 0.5);
        await s.Tick(); // below the rung-0 cutoff: stop
        Assert.Equal(JobState.Stopped, t1.State);
        Assert.StartsWith("asha: eval_accuracy 0.5 below the rung-0 cutoff 0.9", t1.StopReason);
        Assert.Equal(JobState.Running, t0.State);
        await s.Tick();
        await s.Tick();
        Assert.Equal((TrialStates.Stopped, t1.StopReason), (sweep.Trials[1].State, sweep.Trials[1].Reason));
        Assert.Equal(3, sweep.Trials.Count); // its worker took the next trial
        Assert.Equal(JobState.Running, s.TrialJob(sweep, 2).State);
        Assert.Equal([new AshaReport(0, 1, 0.9), new AshaReport(1, 1, 0.5)], sweep.Reports);
        Assert.Contains(t1.Id, s.Work.Deleted); // not the best: its checkpoints go
    }

    /// <summary>A short trial can end between two passes: ASHA's stop then reaches an ended job, and the trial counts as
    /// stopped all the same (its later evaluations, logged before the decision could apply, count no more).</summary>
    [Fact]
    public async Task A_trial_whose_job_ended_before_asha_stopped_it_counts_as_stopped()
    {
        var sweep = s.Submit();
        await s.Tick();
        var (t0, t1) = (s.TrialJob(sweep, 0), s.TrialJob(sweep, 1));
        s.Evaluate(t0, 0.9);
        await s.Tick();
        s.Evaluate(t1, 0.5); // below the rung-0 cutoff, but the job runs on to its end before the next pass
        s.Evaluate(t1, 0.95);
        Assert.True(s.C.Lifecycle.Succeed(t1));
        await s.Tick();
        Assert.Equal(JobState.Succeeded, t1.State);
        Assert.Equal(TrialStates.Stopped, sweep.Trials[1].State);
        Assert.Equal([0.5], sweep.Trials[1].Points.Select(p => p.Value));
        Assert.EndsWith("(its job had already ended)", sweep.Trials[1].Reason);
        Assert.NotEqual(1, sweep.BestTrial); // 0.95 came after the stop: not a score
    }

    [Fact]
    public async Task A_stop_recorded_before_a_restart_reaches_the_trials_job_after_it()
    {
        var sweep = s.Submit();
        await s.Tick();
        var (t0, t1) = (s.TrialJob(sweep, 0), s.TrialJob(sweep, 1));
        s.Evaluate(t0, 0.9);
        await s.Tick();
        // The coordinator records ASHA's stop of trial 1 (sweep.json), then dies before it stops the trial's job.
        AshaDecision? decision = null;
        Assert.True(s.Sweeps.Update(sweep, r => (decision = r.Evaluated(1, DateTime.UtcNow, 0.5)) is not null));
        Assert.Equal((AshaAction.Stop, JobState.Running), (decision!.Action, t1.State));

        var restarted = new SweepCoordinator(s.C.Options.DataDir);
        var again = restarted.Sweeps.Find(sweep.Id)!;
        Assert.Equal(decision.Reason, again.StopDecided(1)); // rebuilt from the reports
        Assert.Null(again.StopDecided(0));
        await restarted.Tick();
        var job = restarted.C.Jobs.Find(t1.Id)!;
        Assert.Equal((JobState.Stopped, decision.Reason), (job.State, job.StopReason));
        await restarted.Tick();
        Assert.Equal((TrialStates.Stopped, decision.Reason), (again.Trials[1].State, again.Trials[1].Reason));
    }

    [Fact]
    public async Task A_failed_trial_is_recorded_and_the_sweep_goes_on_and_fails_only_when_every_trial_failed()
    {
        var sweep = s.Submit(SweepCoordinator.File.Replace("trials: 4", "trials: 3"));
        await s.Tick();
        Assert.True(s.C.Lifecycle.Fail(s.TrialJob(sweep, 0), "out of memory"));
        await s.Tick();
        await s.Tick();
        Assert.Equal((TrialStates.Failed, "out of memory"), (sweep.Trials[0].State, sweep.Trials[0].Reason));
        Assert.Equal(SweepStates.Running, sweep.State);
        Assert.Equal(3, sweep.Trials.Count); // the sweep went on
        Assert.True(s.C.Lifecycle.Fail(s.TrialJob(sweep, 1), "out of memory"));
        Assert.True(s.C.Lifecycle.Fail(s.TrialJob(sweep, 2), "disk full"));
        await s.Tick();
        Assert.Equal(SweepStates.Failed, sweep.State);
        Assert.Equal("every trial failed (trial 2: disk full)", sweep.Error);
        Assert.Null(sweep.TestJob); // nothing to score
    }

    [Fact]
    public async Task Cancelling_a_trial_job_counts_as_stopped_and_cancelling_the_sweep_cancels_its_live_trials()
    {
        var sweep = s.Submit();
        await s.Tick();
        var (t0, t1) = (s.TrialJob(sweep, 0), s.TrialJob(sweep, 1));
        Assert.True(s.C.Lifecycle.Cancel(t0)); // finetune cancel TRIAL_JOB
        await s.Tick();
        Assert.Equal((TrialStates.Stopped, $"its job {t0.Id} was cancelled"), (sweep.Trials[0].State, sweep.Trials[0].Reason));

        var watch = s.Sweeps.Watch(sweep);
        Assert.True(s.Runner.Cancel(sweep));
        Assert.Equal(SweepStates.Cancelled, sweep.State);
        Assert.Equal(JobState.Cancelled, t1.State);
        Assert.Equal(TrialStates.Cancelled, sweep.Trials[1].State);
        Assert.False(s.Runner.Cancel(sweep)); // once
        var last = (Sweep?)null;
        await foreach (var m in watch.ReadAllAsync()) last = m; // the watch ends with the final state
        Assert.Equal("cancelled", last!.State);
        var before = sweep.Trials.Count;
        await s.Tick();
        Assert.Equal(before, sweep.Trials.Count); // no trial after the end
    }

    [Fact]
    public async Task After_the_last_trial_the_best_is_scored_on_the_test_set_once_and_the_others_results_go()
    {
        var sweep = s.Submit(SweepCoordinator.File.Replace("trials: 4", "trials: 2"));
        await s.Tick();
        var (t0, t1) = (s.TrialJob(sweep, 0), s.TrialJob(sweep, 1));
        s.Evaluate(t0, 0.7);
        s.Evaluate(t1, 0.7);
        await s.Tick();
        s.Evaluate(t0, 0.8);
        s.Evaluate(t1, 0.85);
        Assert.True(s.C.Lifecycle.Succeed(t0));
        Assert.True(s.C.Lifecycle.Succeed(t1));
        await s.Tick();
        Assert.Equal(SweepStates.Scoring, sweep.State);
        Assert.Equal(1, sweep.BestTrial);
        Assert.Equal([t0.Id], s.Work.Deleted);

        // The scoring is a job of kind evaluate on one worker: the best trial's model on the test folder, and nothing else.
        var test = s.TestJob(sweep);
        Assert.Equal((JobKinds.Evaluate, sweep.Id, 1), (test.Kind, test.SweepId, test.RequestedWorkers));
        Assert.Equal(t1.OutputDir, test.Spec.Model);
        Assert.Equal(Path.Combine(sweep.DataFolder!, SweepSplits.TestFolderName), test.Spec.Dataset);
        Assert.Equal((test.Kind, test.SweepId), (JobStore.ToMessage(test).Kind, JobStore.ToMessage(test).SweepId));
        await s.Tick();
        Assert.Equal(JobState.Running, test.State);
        await s.Tick();
        Assert.Single(s.C.Jobs.All(), j => j.IsEvaluation); // once, however many passes it runs
        s.Score(test, 0.75, 40);
        await s.Tick();
        Assert.Equal(SweepStates.Succeeded, sweep.State);
        Assert.Equal((0.75, 40.0), (sweep.TestMetrics!["test_accuracy"], sweep.TestMetrics["test_samples"]));
        Assert.Equal([t1.Id], s.Work.Reports); // the report, into the best trial's output
        var message = SweepMessages.ToMessage(sweep);
        Assert.Equal(test.Id, message.TestJobId);
        Assert.Equal((1, 2, "succeeded", 0.85), (message.BestTrial, message.Trials.Count, message.State, message.Trials[1].Metric));
        Assert.Equal([0.7, 0.85], message.Trials[1].Evaluations);
    }

    [Fact]
    public async Task A_restart_rebuilds_the_sweep_from_sweep_json_and_goes_on()
    {
        var sweep = s.Submit();
        await s.Tick();
        var (t0, t1) = (s.TrialJob(sweep, 0), s.TrialJob(sweep, 1));
        s.Evaluate(t0, 0.9);
        await s.Tick();
        s.Evaluate(t1, 0.5);
        await s.Tick(); // trial 1 stopped
        await s.Tick();

        var restarted = new SweepCoordinator(s.C.Options.DataDir); // the same data folder: jobs and sweeps loaded, jobs reopened
        var again = restarted.Sweeps.Find("sweep-1")!;
        Assert.Equal(SweepFile.Write(sweep), SweepFile.Write(again));
        Assert.Equal(sweep.Asha!.RecordedAt(0), again.Asha!.RecordedAt(0)); // ASHA replayed
        Assert.Equal(JobState.Recovering, restarted.C.Jobs.Find(t0.Id)!.State); // a running trial recovers as any job
        restarted.C.Join("worker-0");
        restarted.C.Join("worker-1");
        await restarted.Tick();
        await restarted.Tick();
        Assert.Equal(JobState.Running, restarted.C.Jobs.Find(t0.Id)!.State);
        Assert.Equal(3, again.Trials.Count);
        Assert.Equal(sweep.Spec.CreateSampler().Next(2, again.Outcomes), again.Trials[2].Config); // the sampler, from the record
    }

    [Fact]
    public async Task An_evaluation_logged_again_by_a_recovered_trial_replaying_its_steps_counts_once()
    {
        var sweep = s.Submit();
        await s.Tick();
        var t0 = s.TrialJob(sweep, 0);
        void Log(int step, double accuracy) =>
            Assert.True(s.C.Lifecycle.OnLog(t0, t0.Generation, new LogEvent { Step = step, Values = { ["eval_accuracy"] = accuracy } }));
        Log(8, 0.6);
        await s.Tick();
        Log(8, 0.6); // the job resumed from a checkpoint before step 8 and evaluated there again
        await s.Tick();
        Assert.Equal(1, sweep.Trials[0].Evaluations);
        Log(16, 0.7);
        await s.Tick();
        Assert.Equal(2, sweep.Trials[0].Evaluations);
        Assert.Equal([new AshaReport(0, 1, 0.6), new AshaReport(0, 2, 0.7)], sweep.Reports);
    }
}
