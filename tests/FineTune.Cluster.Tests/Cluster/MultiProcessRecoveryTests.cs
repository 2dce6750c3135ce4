using System.Diagnostics;
using FineTune.Core.Tests.Training;
using static FineTune.Cluster.Tests.Cluster.ClusterJobs;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// The default job (the default model on the default data, two ranks) with a worker killed by SIGKILL after the first
/// epoch's checkpoint: a spare worker takes its rank, training resumes from that checkpoint, and the job still reaches
/// the accuracy band of an undisturbed run. Slow (a few minutes on 2 cores).
/// </summary>
[Collection(TorchGlobalState.Name)]
public class MultiProcessRecoveryTests
{
    [Fact]
    public void Default_job_survives_a_killed_worker_and_reaches_accuracy_above_088()
    {
        using var cluster = new ClusterProcesses(3, 1, ["--heartbeat-timeout", "5"]);
        var id = Submit(cluster, "--workers", "2");
        // 50 steps per epoch: checkpoint-50 is saved at the end of the first epoch and sent to the coordinator.
        var running = WaitFor(cluster, id, j => LastStep(j) >= 60, TimeSpan.FromMinutes(8));
        var clock = Stopwatch.StartNew();
        cluster.KillWorker(Workers(running)[1]); // rank 1; the third worker is the spare
        var done = WaitFor(cluster, id, Ended, TimeSpan.FromMinutes(10));
        Console.WriteLine($"default job with a killed worker: {done.GetProperty("metrics")} recoveries {done.GetProperty("recoveries")} (ended {clock.Elapsed.TotalSeconds:0} s after the kill)");

        Assert.True(State(done) == "succeeded", $"{done}\n{cluster.Logs()}");
        Assert.Equal(2, done.GetProperty("world_size").GetInt32());
        var metrics = done.GetProperty("metrics");
        Assert.True(metrics.GetProperty("restarts").GetInt32() == 1, $"one recovery expected: {done.GetProperty("recoveries")}\n{cluster.Logs()}");
        Assert.Equal("checkpoint-50", done.GetProperty("recoveries")[0].GetProperty("resumed_from").GetString());
        Assert.Equal(150, metrics.GetProperty("global_step").GetInt32());
        var accuracy = metrics.GetProperty("eval_accuracy").GetDouble();
        Assert.True(accuracy >= 0.88, $"eval_accuracy {accuracy}");
    }
}
