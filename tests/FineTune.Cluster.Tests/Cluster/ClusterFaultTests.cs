using System.Diagnostics;
using System.Text.Json;
using FineTune.Cluster.Tests.Cli;
using FineTune.Core.Tests.Training;
using static FineTune.Cluster.Tests.Cluster.ClusterJobs;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>Cancel, download and a lost worker with no replacement on a real coordinator with two worker processes, on a tiny model (fast).</summary>
[Collection(TorchGlobalState.Name)]
public class ClusterFaultTests
{
    static string[] Job(ClusterProcesses c, string model, string dataset, int epochs) =>
        ["submit", "--coordinator", c.Url, "--model", model, "--dataset", dataset, "--workers", "2", "--max-length", "32", "--learning-rate", "1e-2",
         "--epochs", epochs.ToString(), "--save-strategy", "no", "--eval-strategy", "no", "--json"];

    [Fact]
    public void Cancel_frees_the_workers_and_a_lost_worker_without_replacement_fails_the_job_loudly_while_the_coordinator_keeps_serving()
    {
        var (model, dataset, _) = TinyJobs.Setup(80);
        using var cluster = new ClusterProcesses(workers: 2, threadsPerWorker: 1, ["--recovery-wait", "5"]);

        // Cancel: a long job stops, and the same two workers then run the next job to the end.
        var submitted = FinetuneProcess.Run(Job(cluster, model, dataset, epochs: 5000));
        Assert.True(submitted.ExitCode == 0, submitted.Stderr);
        Assert.Contains($"uploading {model}", submitted.Stderr); // local paths travel to the coordinator: no shared filesystem needed
        var id = JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("id").GetString()!;
        WaitFor(cluster, id, Stepping, TimeSpan.FromMinutes(2));
        var cancel = FinetuneProcess.Run("cancel", id, "--coordinator", cluster.Url);
        Assert.True(cancel.ExitCode == 0, cancel.Stderr);
        Assert.Equal("cancelled", Status(cluster, id).GetProperty("state").GetString());
        var again = FinetuneProcess.Run("cancel", id, "--coordinator", cluster.Url);
        Assert.Equal(1, again.ExitCode); // FAILED_PRECONDITION: already cancelled
        var next = FinetuneProcess.Run([.. Job(cluster, model, dataset, epochs: 2), "--wait"]);
        Assert.True(next.ExitCode == 0, $"{next.Stderr}\n{cluster.Logs()}");
        var finished = JsonDocument.Parse(next.Stdout).RootElement;
        Assert.Equal("succeeded", finished.GetProperty("state").GetString());

        // download brings the output folder back, byte for byte; a cancelled job has none.
        var target = Path.Combine(cluster.Root, "downloaded");
        var download = FinetuneProcess.Run("download", finished.GetProperty("id").GetString()!, "--output", target, "--coordinator", cluster.Url);
        Assert.True(download.ExitCode == 0, download.Stderr);
        var source = finished.GetProperty("output_dir").GetString()!;
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.txt", "trainer_state.json", "report.md" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(source, f)), File.ReadAllBytes(Path.Combine(target, f)));
        Assert.Equal(1, FinetuneProcess.Run("download", id, "--output", target + "-2", "--coordinator", cluster.Url).ExitCode); // FAILED_PRECONDITION

        // A worker killed mid-job with no replacement and --min-workers 2 (the default: --workers): the job recovers,
        // finds no group within the recovery wait, and fails with the reason; never hangs.
        var long2 = FinetuneProcess.Run(Job(cluster, model, dataset, epochs: 5000));
        var id2 = JsonDocument.Parse(long2.Stdout).RootElement.GetProperty("id").GetString()!;
        WaitFor(cluster, id2, Stepping, TimeSpan.FromMinutes(2));
        var clock = Stopwatch.StartNew();
        cluster.KillWorker(1);
        var failed = WaitFor(cluster, id2, s => s.GetProperty("state").GetString() == "failed", TimeSpan.FromSeconds(90));
        Console.WriteLine($"lost worker, no replacement: failed after {clock.Elapsed.TotalSeconds:0.0} s: {failed.GetProperty("error")}");
        Assert.Contains("--min-workers", failed.GetProperty("error").GetString());
        Assert.True(failed.GetProperty("metrics").GetProperty("restarts").GetInt32() == 1, $"{failed}\n{cluster.Logs()}");

        // The coordinator keeps serving.
        var list = FinetuneProcess.Run("list", "--coordinator", cluster.Url, "--json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Equal(3, JsonDocument.Parse(list.Stdout).RootElement.GetArrayLength());
    }
}
