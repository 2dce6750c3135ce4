using System.Text.Json;
using FineTune.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// The real system on loopback: a coordinator and two workers as separate processes, the default job submitted
/// through the Jobs API, trained data-parallel over the TCP ring. Slow (a few minutes on 2 cores).
/// </summary>
[Collection(FineTune.Core.Tests.Training.TorchGlobalState.Name)]
public class MultiProcessClusterTests
{
    [Fact]
    public async Task Default_job_on_two_workers_succeeds_with_accuracy_above_088()
    {
        using var cluster = new ClusterProcesses(workers: 2);
        // The default job, submitted through the CLI as a user would; --wait follows it to the end.
        var r = Cli.FinetuneProcess.RunWithin(TimeSpan.FromMinutes(15), null, "submit", "--coordinator", cluster.Url, "--workers", "2", "--request-id", "e2e-1", "--wait", "--json");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}\n{cluster.Logs()}");
        using var json = JsonDocument.Parse(r.Stdout);
        var root = json.RootElement;
        Assert.Equal("succeeded", root.GetProperty("state").GetString());
        Assert.Equal(2, root.GetProperty("world_size").GetInt32());
        var metrics = root.GetProperty("metrics");
        var accuracy = metrics.GetProperty("eval_accuracy").GetDouble();
        Console.WriteLine($"two-worker default job: {metrics}");
        Assert.True(accuracy >= 0.88, $"eval_accuracy {accuracy}");
        var outputDir = root.GetProperty("output_dir").GetString()!;
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.txt", "trainer_state.json", "eval_results.json", "report.md" })
            Assert.True(File.Exists(Path.Combine(outputDir, f)), $"{f} missing from {outputDir}");

        using var channel = GrpcChannel.ForAddress(cluster.Url);
        var jobs = new Jobs.JobsClient(channel);
        var id = root.GetProperty("id").GetString();
        var submit = new SubmitJobRequest { RequestId = "e2e-1" };
        // Submitting again with the same request id returns the same job (idempotent).
        Assert.Equal(id, (await jobs.SubmitAsync(submit)).Id);
        // A bad job is refused before it starts, naming the field.
        var bad = new SubmitJobRequest();
        bad.Options["learning_rate"] = "0";
        var e = await Assert.ThrowsAsync<RpcException>(async () => await jobs.SubmitAsync(bad));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("learning_rate", e.Status.Detail);
    }
}
