using System.Text.Json;
using FineTune.Core.Tests.Cli;
using FineTune.Core.Tests.Training;

namespace FineTune.Core.Tests.Cluster;

/// <summary>A coordinator started with --root: jobs name data already on it, and nothing outside its roots. Tiny model.</summary>
[Collection(TorchGlobalState.Name)]
public class CoordinatorRootsClusterTests
{
    [Fact]
    public void A_job_reads_data_under_a_root_and_paths_outside_the_roots_are_refused_naming_the_field()
    {
        var (model, dataset, _) = TinyJobs.Setup(40);
        var datasets = Path.Combine(Path.GetDirectoryName(dataset)!, "datasets");
        Directory.CreateDirectory(datasets);
        File.Copy(dataset, Path.Combine(datasets, "tiny.jsonl"));
        using var cluster = new ClusterProcesses(workers: 1, coordinatorArgs: ["--root", datasets]);
        string[] Job(string data) => ["submit", "--coordinator", cluster.Url, "--model", model, "--dataset", data, "--workers", "1", "--max-length", "32",
            "--epochs", "1", "--save-strategy", "no", "--eval-strategy", "no", "--json"];

        var ok = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(3), null, [.. Job("coordinator:/datasets/tiny.jsonl"), "--wait"]);
        Assert.True(ok.ExitCode == 0, $"{ok.Stderr}\n{cluster.Logs()}");
        Assert.Equal("succeeded", JsonDocument.Parse(ok.Stdout).RootElement.GetProperty("state").GetString());

        foreach (var (path, why) in new[]
        {
            ("coordinator:/datasets/../datasets/tiny.jsonl", "'..' is not allowed"),
            ("coordinator:/etc/passwd", "it is outside the coordinator's roots"),
            ("coordinator:/jobs/x/job.json", "it is outside the coordinator's roots"),
        })
        {
            var r = FinetuneProcess.Run(Job(path));
            Assert.True(r.ExitCode == 2, $"{path}: exit {r.ExitCode}: {r.Stderr}");
            Assert.Contains($"error: --dataset (dataset): '{path}' is refused: {why}", r.Stderr);
        }
    }
}
