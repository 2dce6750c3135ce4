using System.Text.Json;
using FineTune.Cluster.Tests.Cli;
using FineTune.Core.Tests.Training;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>A coordinator started with --data-roots: jobs name data already on it, and nothing outside its roots. Tiny model.</summary>
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
        using var cluster = new ClusterProcesses(workers: 1, coordinatorArgs: ["--data-roots", datasets]);
        string[] Job(string data) => ["submit", "--coordinator", cluster.Url, "--model", model, "--dataset", data, "--workers", "1", "--max-length", "32",
            "--epochs", "1", "--save-strategy", "no", "--eval-strategy", "no", "--json"];

        var ok = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(3), null, [.. Job("coordinator:" + Path.Combine(datasets, "tiny.jsonl")), "--wait"]);
        Assert.True(ok.ExitCode == 0, $"{ok.Stderr}\n{cluster.Logs()}");
        Assert.Equal("succeeded", JsonDocument.Parse(ok.Stdout).RootElement.GetProperty("state").GetString());

        foreach (var path in new[] { $"coordinator:{datasets}/../{Path.GetFileName(model)}/config.json", "coordinator:/etc/passwd", "coordinator:/jobs/x/job.json" })
        {
            var r = FinetuneProcess.Run(Job(path));
            Assert.True(r.ExitCode == 2, $"{path}: exit {r.ExitCode}: {r.Stderr}");
            Assert.Contains($"--dataset (dataset): '{path}' is outside the coordinator's roots", r.Stderr);
        }
    }
}
