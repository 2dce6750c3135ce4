using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using FineTune.Cluster.Tests.Cli;
using FineTune.Core.Tests.Training;
using static FineTune.Cluster.Tests.Cluster.ClusterJobs;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// A rank that throws (the worker's test-only hook FINETUNE_TEST_THROW_AT_STEP) is a fault, not a verdict: the job
/// recovers from its last checkpoint, unless the same error recurs at the same step (a deterministic failure), which
/// fails the job at once. Real processes on a tiny model, so each takes seconds.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class ClusterCrashRecoveryTests
{
    const string ThrowAtStep = "FINETUNE_TEST_THROW_AT_STEP"; // FineTune.Worker.InjectedFault.Variable
    // No process is lost here: long timeouts, so a loaded machine's slow heartbeat is not taken for a second fault.
    static readonly string[] Patient = ["--heartbeat-timeout", "30", "--collective-timeout", "30", "--recovery-wait", "60"];

    static string[] Job(string model, string dataset) =>
        ["--model", model, "--dataset", dataset, "--workers", "2", "--max-length", "32", "--learning-rate", "1e-2",
         "--max-steps", "80", "--logging-steps", "5", "--save-strategy", "steps", "--save-steps", "10", "--eval-strategy", "no"];

    static int Restarts(JsonElement job) => job.GetProperty("metrics").GetProperty("restarts").GetInt32();

    [Fact]
    public void Rank_that_throws_once_is_recovered_from_the_last_checkpoint_and_the_job_succeeds()
    {
        var (model, dataset, _) = TinyJobs.Setup(80);
        using var cluster = new ClusterProcesses(1, 1, Patient);
        cluster.StartWorker(1, new Dictionary<string, string> { [ThrowAtStep] = "30" }); // once, in this process only
        var id = Submit(cluster, Job(model, dataset));
        var done = WaitFor(cluster, id, Ended, TimeSpan.FromMinutes(3));

        Assert.True(State(done) == "succeeded", $"{done}\n{cluster.Logs()}");
        Assert.True(Restarts(done) == 1, $"one recovery expected: {done.GetProperty("recoveries")}");
        Assert.Equal(80, done.GetProperty("metrics").GetProperty("global_step").GetInt32());
        var recovery = done.GetProperty("recoveries")[0];
        Console.WriteLine($"recovered: {recovery}");
        var reason = recovery.GetProperty("reason").GetString()!;
        // One line naming the rank, the worker, the exception type and its message.
        Assert.Matches(@"^rank [01] \(worker-1\): InvalidOperationException: injected fault at step 30$", reason);
        Assert.DoesNotContain("\n", reason);
        Assert.StartsWith("checkpoint-", recovery.GetProperty("resumed_from").GetString());
        Assert.Equal(2, recovery.GetProperty("to_world_size").GetInt32());
        // The whole exception, stack trace included, is in the worker's own log.
        Assert.Contains("FineTune.Worker.InjectedFault.AfterStep", cluster.Log("worker-1"));
    }

    [Fact]
    public void Same_error_at_the_same_step_after_a_recovery_fails_the_job_at_once()
    {
        var (model, dataset, _) = TinyJobs.Setup(80);
        using var cluster = new ClusterProcesses(0, 1, Patient);
        var every = new Dictionary<string, string> { [ThrowAtStep] = "30,every" }; // every rank, every generation
        cluster.StartWorker(0, every);
        cluster.StartWorker(1, every);
        var clock = Stopwatch.StartNew();
        var id = Submit(cluster, Job(model, dataset));
        var done = WaitFor(cluster, id, Ended, TimeSpan.FromMinutes(3));
        Console.WriteLine($"deterministic failure: {State(done)} after {clock.Elapsed.TotalSeconds:0.0} s: {done.GetProperty("error")}");

        Assert.True(State(done) == "failed", $"{done}\n{cluster.Logs()}");
        Assert.True(Restarts(done) == 1, $"one recovery, then the recurrence fails the job: {done.GetProperty("recoveries")}");
        var error = done.GetProperty("error").GetString()!;
        Assert.Matches(@"^rank [01] \(worker-[01]\): InvalidOperationException: injected fault at step 30 \(again at step 30, as before recovery 1: a deterministic failure, not retried\)$", error);
        Assert.DoesNotContain("\n", error);

        // status and watch show the same one line.
        var status = FinetuneProcess.Run("status", id, "--coordinator", cluster.Url);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains(error, status.Stdout + status.Stderr);
        var watch = FinetuneProcess.Run("watch", id, "--coordinator", cluster.Url);
        Assert.Equal(1, watch.ExitCode);
        Assert.Contains($"job {id}: failed: {error}", watch.Stderr);
        Assert.DoesNotMatch(new Regex("frame #|   at "), watch.Stderr + status.Stdout);
    }
}
