using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using FineTune.Core.Tests.Training;
using static FineTune.Cluster.Tests.Cluster.ClusterJobs;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// Preemption as Kubernetes does it (SIGTERM, then a grace period): the preempted worker finishes its step, the group
/// stops there together, rank 0 saves and uploads a checkpoint at that step, and the job resumes from it on the workers
/// that remain; the preempted worker exits 0. An idle worker leaves at once. Tiny model, so each takes seconds.
/// </summary>
[Collection(TorchGlobalState.Name)]
public partial class PreemptionTests
{
    static readonly string[] FastFaults = ["--heartbeat-timeout", "5", "--collective-timeout", "10", "--recovery-wait", "30"];
    const int MaxSteps = 240, SaveSteps = 50;

    static string[] Job(string model, string dataset) =>
        ["--model", model, "--dataset", dataset, "--workers", "2", "--min-workers", "1", "--max-length", "32", "--learning-rate", "1e-2",
         "--max-steps", MaxSteps.ToString(), "--logging-steps", "5", "--save-strategy", "steps", "--save-steps", SaveSteps.ToString(), "--eval-strategy", "no"];

    [Theory]
    [InlineData(1)] // another rank than 0: it tells rank 0 through the group's vote
    [InlineData(0)] // rank 0 itself: it checkpoints before it leaves
    public void Sigterm_mid_job_checkpoints_at_that_step_and_the_job_resumes_there_without_the_worker(int rank)
    {
        var (model, dataset, _) = TinyJobs.Setup(80);
        using var cluster = new ClusterProcesses(2, 1, FastFaults);
        var id = Submit(cluster, Job(model, dataset));
        var running = WaitFor(cluster, id, j => LastStep(j) >= 20, TimeSpan.FromMinutes(2));
        int seen = LastStep(running);
        var preempted = Workers(running)[rank];
        var survivor = Workers(running)[1 - rank];
        var clock = Stopwatch.StartNew();
        cluster.TerminateWorker(preempted);
        int exit = cluster.WaitForExit(preempted, TimeSpan.FromSeconds(60));
        Console.WriteLine($"preempted {preempted} (rank {rank}) exited {exit} after {clock.Elapsed.TotalSeconds:0.0} s");
        var done = WaitFor(cluster, id, Ended, TimeSpan.FromMinutes(3));

        Assert.True(exit == 0, $"{preempted} exited {exit}\n{cluster.Logs()}");
        Assert.True(State(done) == "succeeded", $"{done}\n{cluster.Logs()}");
        Assert.Equal([survivor], Workers(done));
        Assert.Equal(MaxSteps, done.GetProperty("metrics").GetProperty("global_step").GetInt32());
        var recoveries = done.GetProperty("recoveries");
        Assert.True(recoveries.GetArrayLength() == 1, $"one recovery expected: {recoveries}\n{cluster.Logs()}");
        var recovery = recoveries[0];
        Console.WriteLine($"recovery: {recovery}");
        var reason = recovery.GetProperty("reason").GetString()!;
        // "preempted: rank 1 (worker-1) is shutting down; the group stopped after step 43 and saved checkpoint-43"
        var stopped = StoppedAfter().Match(reason);
        Assert.True(stopped.Success, reason);
        Assert.Contains($"rank {rank} ({preempted})", reason);
        int step = int.Parse(stopped.Groups[1].Value);
        Assert.Equal(step, int.Parse(stopped.Groups[2].Value));
        // The step the SIGTERM landed at, not the last scheduled save before it: at or after the step seen before the
        // signal, and the job resumed there.
        Assert.True(step >= seen && step < MaxSteps, $"stopped after step {step}, {seen} seen before the signal");
        Assert.Equal($"checkpoint-{step}", recovery.GetProperty("resumed_from").GetString());
        Assert.Equal(2, recovery.GetProperty("from_world_size").GetInt32());
        Assert.Equal(1, recovery.GetProperty("to_world_size").GetInt32());
        Assert.True(Directory.Exists(Path.Combine(cluster.Root, "coordinator", "jobs", id, "checkpoints", $"checkpoint-{step}")));
        // Rank 0 logs what a preemption costs (save plus upload), which sizes terminationGracePeriodSeconds.
        var rank0 = Workers(running)[0];
        Assert.Matches($@"checkpoint-{step} saved in [0-9.]+ s, sent to the coordinator in [0-9.]+ s", cluster.Log(rank0));
        Assert.Contains("drained in", cluster.Log(preempted));
    }

    [Fact]
    public void Idle_worker_exits_promptly_on_sigterm_and_leaves_the_coordinator()
    {
        using var cluster = new ClusterProcesses(1, 1, FastFaults);
        // The worker's side of the registration: until its reply arrives the worker has no id to say goodbye with
        // (SIGTERM then exits at once and the coordinator forgets it by the heartbeat timeout instead).
        WaitForLog(cluster, "worker-0", "registered with", TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        cluster.TerminateWorker("worker-0");
        int exit = cluster.WaitForExit("worker-0", TimeSpan.FromSeconds(30));
        Console.WriteLine($"idle worker exited {exit} {clock.Elapsed.TotalSeconds:0.0} s after SIGTERM");
        Assert.True(exit == 0, cluster.Logs());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{clock.Elapsed.TotalSeconds:0.0} s to exit\n{cluster.Logs()}");
        WaitForLog(cluster, "coordinator", "worker worker-0 left", TimeSpan.FromSeconds(10));
    }

    static void WaitForLog(ClusterProcesses cluster, string process, string text, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!cluster.Log(process).Contains(text, StringComparison.Ordinal))
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"'{text}' not in {process}'s log after {limit.TotalSeconds} s:\n{cluster.Logs()}");
            Thread.Sleep(200);
        }
    }

    [GeneratedRegex(@"stopped after step ([0-9]+) and saved checkpoint-([0-9]+)")]
    private static partial Regex StoppedAfter();
}
