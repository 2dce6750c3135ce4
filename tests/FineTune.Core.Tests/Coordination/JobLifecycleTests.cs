using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core.Reporting;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Core.Tests.Coordination;

/// <summary>A job's states and the transitions between them: every legal one, and every illegal one refused loudly.</summary>
public class JobLifecycleTests
{
    static JobRecord NewJob()
    {
        var job = new JobRecord { Id = "job-1", Spec = new() };
        job.DataPrepared();
        return job;
    }

    [Fact]
    public void A_job_goes_queued_preparing_running_succeeded()
    {
        var job = NewJob();
        Assert.Equal(JobState.Queued, job.State);
        job.Prepare(["w0", "w1"]);
        Assert.Equal(JobState.Preparing, job.State);
        job.Run(1, ["neg", "pos"], resumed: false, resumedFrom: null);
        Assert.Equal((JobState.Running, 1L), (job.State, job.Generation));
        Assert.Equal(["w0", "w1"], job.Workers);
        job.Succeed();
        Assert.True(job.IsTerminal);
        Assert.Equal("succeeded", job.ToJson()["state"]!.GetValue<string>());
    }

    [Fact]
    public void A_recovery_fences_the_group_and_a_new_group_resumes()
    {
        var job = NewJob();
        job.Prepare(["w0", "w1"]);
        job.Run(1, [], false, null);
        job.Recover(new Recovery { Reason = "lost w1", AtStep = 30, FromWorldSize = 2 });
        Assert.Equal((JobState.Recovering, 2L), (job.State, job.Generation));
        job.Prepare(["w0"]);
        job.Run(3, [], resumed: true, resumedFrom: "checkpoint-20");
        Assert.Equal((JobState.Running, 3L, "checkpoint-20"), (job.State, job.Generation, job.Recoveries[0].ResumedFrom));
    }

    [Fact]
    public void A_resumed_group_replays_the_steps_after_its_checkpoint_so_their_history_goes_as_trainer_log_history_does()
    {
        var job = NewJob();
        job.Prepare(["w0", "w1"]);
        job.Run(1, [], false, null);
        foreach (var step in new[] { 10, 20, 30 })
            job.History.Add(new LogEntry(step, step / 20.0, new Dictionary<string, double> { ["loss"] = 1.0 / step }).ToJson());
        job.Recover(new Recovery { Reason = "lost w1", AtStep = 30, FromWorldSize = 2 });
        job.Prepare(["w0"]);
        job.Run(3, [], resumed: true, resumedFrom: "checkpoint-20");
        Assert.Equal([10, 20], job.History.Select(e => (int)e["step"]!)); // step 30 is logged again by the new group

        job.Recover(new Recovery { Reason = "lost w0", AtStep = 20, FromWorldSize = 1 });
        job.Prepare(["w1"]);
        job.Run(5, [], resumed: true, resumedFrom: null); // no checkpoint: from the start
        Assert.Empty(job.History);
    }

    public static TheoryData<string, Action<JobRecord>> Illegal => new()
    {
        { "cannot run a job that is queued (only from preparing)", j => j.Run(1, [], false, null) },
        { "cannot succeed a job that is queued (only from running)", j => j.Succeed() },
        { "cannot recover a job that is queued (only from preparing or running)", j => j.Recover(new Recovery { Reason = "x" }) },
        { "cannot prepare a job that is running (only from queued or recovering)", j => { j.Prepare(["w"]); j.Run(1, [], false, null); j.Prepare(["w"]); } },
        { "cannot fail a job that is already succeeded", j => { j.Prepare(["w"]); j.Run(1, [], false, null); j.Succeed(); j.Fail("late", FailureKind.Fault); } },
        { "cannot cancel a job that is already failed", j => { j.Fail("bad", FailureKind.InvalidInput); j.Cancel(); } },
        { "cannot succeed a job that is cancelled (only from running)", j => { j.Cancel(); j.Succeed(); } },
        { "cannot stop a job that is already cancelled", j => { j.Cancel(); j.Stop("late"); } },
        { "cannot cancel a job that is already stopped", j => { j.Stop("early stopping"); j.Cancel(); } },
        { "cannot fail a job that is already stopped", j => { j.Stop("early stopping"); j.Fail("late", FailureKind.Fault); } },
        { "cannot run a job that is stopped (only from preparing)", j => { j.Prepare(["w"]); j.Stop("early stopping"); j.Run(1, [], false, null); } },
    };

    [Theory, MemberData(nameof(Illegal))]
    public void An_illegal_transition_is_refused_and_changes_nothing(string message, Action<JobRecord> transitions)
    {
        var job = NewJob();
        var e = Assert.Throws<InvalidOperationException>(() => transitions(job));
        Assert.Equal($"job job-1: {message}", e.Message);
    }

    [Fact]
    public void A_generation_never_goes_back()
    {
        var job = NewJob();
        job.Prepare(["w"]);
        job.Run(5, [], false, null);
        job.Recover(new Recovery { Reason = "x" });
        job.Prepare(["w"]);
        Assert.Contains("generation 6 is not newer than 6", Assert.Throws<InvalidOperationException>(() => job.Run(6, [], true, null)).Message);
        Assert.Equal(JobState.Preparing, job.State);
    }

    [Fact]
    public void Every_state_has_one_name_both_ways()
    {
        foreach (var state in Enum.GetValues<JobState>().Where(s => s != JobState.Unspecified))
            Assert.Equal(state, JobStates.Parse(state.Name()));
        Assert.Equal(["succeeded", "failed", "cancelled", "stopped"], JobStates.Final.Select(s => s.Name()));
        Assert.Equal((JobState.Stopped, true), (JobStates.Parse("stopped"), JobState.Stopped.IsFinal()));
        Assert.Equal("state: 'done' is not a job state (queued, preparing, running, recovering, succeeded, failed, cancelled, stopped)", Assert.Throws<FormatException>(() => JobStates.Parse("done")).Message);
        // A coordinator older than state_code sends only the name.
        Assert.Equal(JobState.Recovering, JobStates.StateOf(new Job { State = "recovering" }));
    }

    /// <summary>job.json exactly as the coordinator before the JobState redesign wrote it (state as a string, every field public).</summary>
    const string LegacyRecord = """
        {
          "Id": "job-20261201-120000-abc123",
          "Options": { "model": "default", "num_train_epochs": "1" },
          "RequestId": "req-1",
          "CreatedUnixMs": 1764590400000,
          "State": "running",
          "RequestedWorkers": 2,
          "Workers": [ "worker-0", "worker-1" ],
          "OutputDir": "/tmp/old/jobs/job-20261201-120000-abc123/output",
          "Error": null,
          "GlobalStep": 40,
          "MaxSteps": 150,
          "Generation": 3,
          "LabelNames": [ "neg", "pos" ],
          "History": [ { "loss": 0.69, "learning_rate": 1.9e-05, "epoch": 0.27, "step": 40 } ],
          "Metrics": {},
          "FinalEval": null,
          "MinWorkers": 0,
          "LastCheckpoint": "checkpoint-40",
          "BestCheckpoint": null,
          "Recoveries": [ { "Reason": "lost worker-1", "AtStep": 20, "FromWorldSize": 2, "ToWorldSize": 2, "ResumedFrom": "checkpoint-20", "StartedUnixMs": 1764590500000, "Seconds": 4.2, "Failure": null, "FailedStep": null } ],
          "Restarts": 1,
          "IsTerminal": false
        }
        """;

    [Fact]
    public void A_job_record_written_before_the_redesign_loads_and_recovers()
    {
        var coordinator = new InProcessCoordinator();
        var dir = Path.Combine(coordinator.Options.JobsDir, "job-20261201-120000-abc123");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "job.json"), LegacyRecord);
        var store = new JobStore(coordinator.Options, NullLogger<JobStore>.Instance);
        new JobLifecycle(store, coordinator.Workers, coordinator.Prepared, coordinator.Options, NullLogger<JobLifecycle>.Instance).Reopen();
        var job = Assert.Single(store.All());
        // It was running when that coordinator stopped: it recovers, fenced by a new generation, from its checkpoint.
        Assert.Equal((JobState.Recovering, 4L, 2), (job.State, job.Generation, job.Restarts));
        Assert.Equal("the coordinator restarted", job.Recoveries[^1].Reason);
        Assert.Equal(("req-1", "checkpoint-40", 40), (job.RequestId, job.LastCheckpoint, job.GlobalStep));
        Assert.Equal(["neg", "pos"], job.LabelNames);
        Assert.Single(job.History);
        // Its options map became the spec, bound by the table: every option, the submitted ones as given.
        Assert.Equal((1.0, "default", 5e-5), (job.Spec.NumTrainEpochs, job.Spec.Model, job.Spec.LearningRate));
        Assert.True(job.DataReady);
        Assert.Null(job.StopReason); // a field it never had
        // And what it wrote back still says "recovering" in words, for the next coordinator (of either version).
        Assert.Contains("\"State\": \"recovering\"", File.ReadAllText(Path.Combine(dir, "job.json")));
    }
}
