using System.Text.Json.Nodes;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core.Telemetry;
using FineTune.Core.Tests.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Core.Tests.Coordination;

/// <summary>
/// The coordinator stopping a job early (what a sweep's early stopping calls): from every live state to the final
/// `stopped` with its reason, its workers released as for a cancel, its history kept, job.json round-tripped, and
/// refused from a final state.
/// </summary>
public class JobStopTests
{
    const string Reason = "ASHA rung 1: eval_loss 0.71 is not in the top third (0.52)";
    readonly InProcessCoordinator c = new();

    /// <summary>job-1 brought to <paramref name="state"/> as the scheduler would (on worker-0 and worker-1 past queued).</summary>
    JobRecord JobIn(JobState state)
    {
        if (state == JobState.Queued) return c.Submit(workers: 2);
        if (state == JobState.Preparing)
        {
            var job = c.Submit(workers: 2);
            Assert.True(c.Lifecycle.Prepare(job, [c.Join("worker-0"), c.Join("worker-1")]));
            return job;
        }
        var running = c.Running("worker-0", "worker-1");
        if (state == JobState.Recovering) Assert.True(c.Lifecycle.Recover(running, "lost worker-1"));
        Assert.Equal(state, running.State);
        return running;
    }

    [Theory]
    [InlineData(JobState.Queued)]
    [InlineData(JobState.Preparing)]
    [InlineData(JobState.Running)]
    [InlineData(JobState.Recovering)]
    public void Stop_ends_a_live_job_as_stopped_with_its_reason(JobState from)
    {
        var job = JobIn(from);
        var events = c.Jobs.Watch(job);
        Assert.True(c.Lifecycle.Stop(job, Reason));

        Assert.Equal((JobState.Stopped, Reason, null), (job.State, job.StopReason, job.Error));
        Assert.True(job.IsTerminal);
        Assert.Empty(c.Prepared.Ids); // no shards served for it any more
        var json = job.ToJson();
        Assert.Equal(("stopped", Reason), (json["state"]!.GetValue<string>(), json["stop_reason"]!.GetValue<string>()));
        Assert.Null(json["failure_kind"]);
        var message = JobStore.ToMessage(job);
        Assert.Equal((JobState.Stopped, "stopped", Reason, FailureKind.Unspecified), (message.StateCode, message.State, message.StopReason, message.FailureKind));
        Assert.Equal($"job job-1: stopped: {Reason}", JobEventText.State(message));

        // WatchJob: the final event is the stopped job, and the stream ends with it.
        var seen = new List<JobEvent>();
        while (events.TryRead(out var e)) seen.Add(e);
        Assert.True(events.Completion.IsCompleted);
        Assert.Equal((JobState.Stopped, Reason), (seen[^1].Job.StateCode, seen[^1].Job.StopReason));
    }

    [Fact]
    public async Task A_stopped_job_releases_its_workers_at_once_for_the_next_job_and_keeps_its_history()
    {
        var job = c.Running("worker-0", "worker-1");
        var (w0, w1) = (c.Workers.FindByName("worker-0")!, c.Workers.FindByName("worker-1")!);
        var (a0, a1) = (c.Idle(w0)!, c.Idle(w1)!);
        Assert.True(c.Lifecycle.OnStep(job, a0.Generation, new StepEvent { Step = 20, MaxSteps = 100 }));
        Assert.True(c.Lifecycle.OnLog(job, a0.Generation, new LogEvent { Step = 20, Epoch = 0.2, Values = { ["eval_loss"] = 0.71 } }));
        c.Jobs.Update(job, j =>
        {
            j.LastCheckpoint = "checkpoint-20";
            j.Metrics = new JsonObject { ["eval_loss"] = 0.71 };
        });
        var next = c.Submit(workers: 2, id: "job-2");

        Assert.True(c.Lifecycle.Stop(job, Reason));
        Assert.Null(w0.JobId); // released at once, not at the job's natural end
        Assert.Null(w1.JobId);
        Assert.True(c.Busy(w0, a0)); // the next heartbeat tells each rank to abort the run
        Assert.True(c.Busy(w1, a1));
        Assert.False(c.Lifecycle.OnStep(job, a0.Generation, new StepEvent { Step = 21, MaxSteps = 100 })); // a late report changes nothing
        Assert.Equal((20, "checkpoint-20", 0.71), (job.GlobalStep, job.LastCheckpoint, job.Metrics["eval_loss"]!.GetValue<double>()));
        Assert.Single(job.History);
        Assert.Equal(["worker-0", "worker-1"], job.Workers); // the group it ran on, as for a cancelled job

        // Once they let go, the next job takes them.
        Assert.Null(c.Idle(w0));
        Assert.Null(c.Idle(w1));
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Running, next.State);
        Assert.Equal(["worker-0", "worker-1"], next.Workers);
        Assert.Equal(JobState.Stopped, job.State);
    }

    [Theory]
    [InlineData(JobState.Succeeded)]
    [InlineData(JobState.Failed)]
    [InlineData(JobState.Cancelled)]
    [InlineData(JobState.Stopped)]
    public void Stop_is_refused_from_a_final_state_as_cancel_is(JobState final)
    {
        var job = c.Running("worker-0");
        Assert.True(final switch
        {
            JobState.Succeeded => c.Lifecycle.Succeed(job),
            JobState.Failed => c.Lifecycle.Fail(job, "bad"),
            JobState.Cancelled => c.Lifecycle.Cancel(job),
            _ => c.Lifecycle.Stop(job, "first stop"),
        });
        var written = File.ReadAllText(Path.Combine(c.Options.JobsDir, job.Id, "job.json"));
        int updates = 0;
        c.Jobs.Updated += (_, _, _) => updates++;

        Assert.False(c.Lifecycle.Stop(job, Reason));
        Assert.False(c.Lifecycle.Cancel(job));
        Assert.Equal(0, updates);
        Assert.Equal(final, job.State);
        Assert.Equal(final == JobState.Stopped ? "first stop" : null, job.StopReason);
        Assert.Equal(written, File.ReadAllText(Path.Combine(c.Options.JobsDir, job.Id, "job.json")));
        // The record itself refuses it too, with the same words as for a cancel.
        var e = Assert.Throws<InvalidOperationException>(() => job.Stop(Reason));
        Assert.Equal($"job job-1: cannot stop a job that is already {final.Name()}", e.Message);
    }

    [Fact]
    public void A_stop_needs_a_reason_and_an_unknown_job_is_named()
    {
        var job = c.Running("worker-0");
        Assert.Throws<ArgumentException>(() => c.Lifecycle.Stop(job, "  "));
        Assert.Equal((JobState.Running, null), (job.State, job.StopReason));
        Assert.Equal("worker-0", Assert.Single(job.Workers));
        Assert.Equal("job-1", c.Workers.FindByName("worker-0")!.JobId); // nothing released by the refused stop

        Assert.Equal("unknown job 'job-9'", Assert.Throws<KeyNotFoundException>(() => c.Lifecycle.Stop("job-9", Reason)).Message);
        Assert.True(c.Lifecycle.Stop("job-1", Reason)); // by id, as a sweep that keeps its trials' ids calls it
        Assert.Equal(JobState.Stopped, job.State);
    }

    [Fact]
    public void A_stopped_job_survives_a_restart_of_the_coordinator_as_it_was()
    {
        var job = c.Running("worker-0", "worker-1");
        Assert.True(c.Lifecycle.OnLog(job, job.Generation, new LogEvent { Step = 10, Epoch = 0.1, Values = { ["loss"] = 0.69 } }));
        c.Jobs.Update(job, j => j.LastCheckpoint = "checkpoint-10");
        Assert.True(c.Lifecycle.Stop(job, Reason));
        var file = Path.Combine(c.Options.JobsDir, job.Id, "job.json");
        Assert.Contains("\"State\": \"stopped\"", File.ReadAllText(file));

        var restarted = new InProcessCoordinator(Path.GetDirectoryName(c.Options.JobsDir)); // loads, then Reopen
        var again = restarted.Jobs.Find("job-1")!;
        Assert.Equal((JobState.Stopped, Reason, null, "checkpoint-10"), (again.State, again.StopReason, again.Error, again.LastCheckpoint));
        Assert.Equal(["worker-0", "worker-1"], again.Workers);
        Assert.Single(again.History);
        Assert.Equal(JobFile.Write(job), JobFile.Write(again));
    }

    [Fact]
    public void A_record_written_before_the_stopped_state_loads_without_a_reason()
    {
        var job = c.Running("worker-0");
        Assert.True(c.Lifecycle.Cancel(job));
        var node = JsonNode.Parse(JobFile.Write(job))!.AsObject();
        Assert.True(node.Remove("StopReason")); // what a coordinator before this state wrote
        var (old, problem) = JobFile.Read(node.ToJsonString(), c.Options);
        Assert.Null(problem);
        Assert.Equal((JobState.Cancelled, null), (old.State, old.StopReason));
        Assert.Null(old.ToJson()["stop_reason"]);
        Assert.Equal("", JobStore.ToMessage(old).StopReason);
    }

    [Fact]
    public void The_job_state_gauge_reports_stopped_as_7()
    {
        using var metrics = new MetricsRecorder(i => i.Meter == FineTuneTelemetry.Meter && i.Name == "finetune.job.state");
        _ = new JobTelemetry(c.Jobs);
        var job = c.Accept(new(), id: "job-gauge-" + Guid.NewGuid().ToString("N")[..8]); // the gauge is process-wide: one id of its own
        Assert.True(c.Lifecycle.Stop(job, Reason));
        var reading = Assert.Single(metrics.Collect(), r => Equals(r.Tags[FineTuneTelemetry.JobId], job.Id));
        Assert.Equal((7.0, "stopped"), (reading.Value, reading.Tags["finetune.job.state_name"]));
    }
}
