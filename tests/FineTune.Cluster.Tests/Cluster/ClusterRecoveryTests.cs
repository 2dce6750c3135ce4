using System.Diagnostics;
using System.Text.Json;
using FineTune.Core.Tests.Training;
using static FineTune.Cluster.Tests.Cluster.ClusterJobs;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// Faults injected for real into a running cluster (SIGKILL, SIGSTOP of a worker; SIGKILL of the coordinator), on a
/// tiny model so each takes seconds: the job recovers from the checkpoint the coordinator holds and finishes.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class ClusterRecoveryTests
{
    // Short timeouts so faults are noticed in seconds (the defaults suit real clusters).
    static readonly string[] FastFaults = ["--heartbeat-timeout", "5", "--collective-timeout", "10", "--recovery-wait", "30"];

    static string[] Job(string model, string dataset, int workers, int maxSteps) =>
        ["--model", model, "--dataset", dataset, "--workers", workers.ToString(), "--max-length", "32", "--learning-rate", "1e-2",
         "--max-steps", maxSteps.ToString(), "--logging-steps", "5", "--save-strategy", "steps", "--save-steps", "20", "--eval-strategy", "no"];

    static JsonElement Recovery(JsonElement job) => job.GetProperty("recoveries")[0];

    static void AssertRecovered(ClusterProcesses cluster, JsonElement job, int worldSize)
    {
        Assert.True(State(job) == "succeeded", $"{job}\n{cluster.Logs()}");
        Assert.Equal(worldSize, job.GetProperty("world_size").GetInt32());
        Assert.True(job.GetProperty("metrics").GetProperty("restarts").GetInt32() == 1, $"one recovery expected: {job.GetProperty("recoveries")}");
        var r = Recovery(job);
        Assert.StartsWith("checkpoint-", r.GetProperty("resumed_from").GetString());
        Assert.True(r.GetProperty("seconds").GetDouble() > 0, r.ToString());
        Console.WriteLine($"recovered: {r}");
    }

    [Fact]
    public void Paused_worker_is_replaced_by_a_spare_and_fenced_out_when_it_wakes()
    {
        var (model, dataset, _) = TinyJobs.Setup(80);
        using var cluster = new ClusterProcesses(3, 1, FastFaults);
        // Two of the three workers take the job; the third is the spare.
        var id = Submit(cluster, Job(model, dataset, workers: 2, maxSteps: 400));
        var running = WaitFor(cluster, id, j => LastStep(j) >= 40, TimeSpan.FromMinutes(2));
        string paused = Workers(running)[1], spare = new[] { "worker-0", "worker-1", "worker-2" }.Except(Workers(running)).Single();
        var clock = Stopwatch.StartNew();
        cluster.PauseWorker(paused);
        WaitFor(cluster, id, j => State(j) == "running" && Workers(j).Contains(spare), TimeSpan.FromSeconds(60));
        Console.WriteLine($"paused worker: new group after {clock.Elapsed.TotalSeconds:0.0} s");
        cluster.ResumeWorker(paused); // wakes up in the old group: fenced out, it must not disturb the new one

        var done = WaitFor(cluster, id, Ended, TimeSpan.FromMinutes(3));
        AssertRecovered(cluster, done, worldSize: 2);
        Assert.Contains(paused, Recovery(done).GetProperty("reason").GetString());

        // The woken worker let go of the old job and is healthy: a job on all three workers runs to the end.
        var all = Submit(cluster, Job(model, dataset, workers: 3, maxSteps: 30));
        Assert.Equal("succeeded", State(WaitFor(cluster, all, Ended, TimeSpan.FromMinutes(2))));
    }

    [Fact]
    public void Killed_worker_without_replacement_continues_with_fewer_ranks_when_min_workers_allows()
    {
        var (model, dataset, _) = TinyJobs.Setup(80);
        using var cluster = new ClusterProcesses(3, 1, FastFaults);
        var id = Submit(cluster, [.. Job(model, dataset, workers: 3, maxSteps: 300), "--min-workers", "2"]);
        WaitFor(cluster, id, j => LastStep(j) >= 40, TimeSpan.FromMinutes(2));
        cluster.KillWorker(2);
        var done = WaitFor(cluster, id, Ended, TimeSpan.FromMinutes(3));
        AssertRecovered(cluster, done, worldSize: 2);
        Assert.Equal(3, Recovery(done).GetProperty("from_world_size").GetInt32());
        Assert.Equal(300, done.GetProperty("metrics").GetProperty("global_step").GetInt32());
    }

    [Fact]
    public void Coordinator_killed_and_restarted_resumes_the_running_job_and_keeps_the_queued_one()
    {
        var (model, dataset, _) = TinyJobs.Setup(80);
        using var cluster = new ClusterProcesses(2, 1, FastFaults);
        var running = Submit(cluster, Job(model, dataset, workers: 2, maxSteps: 300));
        var queued = Submit(cluster, Job(model, dataset, workers: 2, maxSteps: 20)); // waits for the workers
        WaitFor(cluster, running, j => LastStep(j) >= 45, TimeSpan.FromMinutes(2));
        cluster.KillCoordinator();
        cluster.StartCoordinator(); // same port and data folder; the workers find it again by themselves

        Assert.Equal("queued", State(Status(cluster, queued)));
        var done = WaitFor(cluster, running, Ended, TimeSpan.FromMinutes(3));
        AssertRecovered(cluster, done, worldSize: 2);
        Assert.Equal("the coordinator restarted", Recovery(done).GetProperty("reason").GetString());
        Assert.Equal("succeeded", State(WaitFor(cluster, queued, Ended, TimeSpan.FromMinutes(2))));
    }

    [Fact]
    public void Cut_link_between_two_workers_is_detected_by_the_collective_timeout_and_recovered()
    {
        var (model, dataset, _) = TinyJobs.Setup(80);
        using var cluster = new ClusterProcesses(1, 1, FastFaults);
        // worker-1's ring is reached through a link the test can cut: its peers are told the link's address.
        int ringPort = ClusterProcesses.FreePort();
        using var link = new CuttableLink(ringPort);
        cluster.StartWorker(1, "--ring-port", ringPort.ToString(), "--ring-advertise", $"127.0.0.1:{link.Port}");
        var id = Submit(cluster, Job(model, dataset, workers: 2, maxSteps: 300));
        WaitFor(cluster, id, j => LastStep(j) >= 40, TimeSpan.FromMinutes(2));
        var clock = Stopwatch.StartNew();
        link.Cut();
        WaitFor(cluster, id, j => j.GetProperty("metrics").GetProperty("restarts").GetInt32() >= 1, TimeSpan.FromSeconds(60));
        Console.WriteLine($"cut link detected after {clock.Elapsed.TotalSeconds:0.0} s");
        link.Heal(); // a transient partition: the same two workers regroup
        var done = WaitFor(cluster, id, Ended, TimeSpan.FromMinutes(3));
        AssertRecovered(cluster, done, worldSize: 2);
        Assert.Contains("CollectiveException", Recovery(done).GetProperty("reason").GetString());
    }
}
