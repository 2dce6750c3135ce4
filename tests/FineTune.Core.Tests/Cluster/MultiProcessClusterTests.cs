using System.Text.Json;
using FineTune.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FineTune.Core.Tests.Cluster;

/// <summary>
/// The real system on loopback: a coordinator and two workers as separate processes, the default job submitted
/// through the Jobs API, trained data-parallel over the TCP ring. Slow (a few minutes on 2 cores).
/// </summary>
[Collection(Training.TorchGlobalState.Name)]
public class MultiProcessClusterTests
{
    [Fact]
    public async Task Default_job_on_two_workers_succeeds_with_accuracy_above_088()
    {
        using var cluster = new ClusterProcesses(workers: 2);
        using var channel = GrpcChannel.ForAddress(cluster.Url);
        var jobs = new Jobs.JobsClient(channel);
        var submit = new SubmitJobRequest { RequestId = Guid.NewGuid().ToString() };
        submit.Options["workers"] = "2";
        var job = await jobs.SubmitAsync(submit);
        Assert.Equal("queued", job.State);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(12));
        Job last = job;
        using (var watch = jobs.WatchJob(new WatchJobRequest { JobId = job.Id }, cancellationToken: timeout.Token))
            await foreach (var evt in watch.ResponseStream.ReadAllAsync(timeout.Token))
                if (evt.EventCase == JobEvent.EventOneofCase.Job) last = evt.Job;

        Assert.True(last.State == "succeeded", $"job ended {last.State}: {last.Error}\n{cluster.Logs()}");
        Assert.Equal(2, last.WorldSize);
        using var json = JsonDocument.Parse(last.Json);
        var accuracy = json.RootElement.GetProperty("metrics").GetProperty("eval_accuracy").GetDouble();
        Console.WriteLine($"two-worker default job: eval_accuracy {accuracy:0.0000}, metrics {json.RootElement.GetProperty("metrics")}");
        Assert.True(accuracy >= 0.88, $"eval_accuracy {accuracy}");
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.txt", "trainer_state.json", "eval_results.json", "report.md" })
            Assert.True(File.Exists(Path.Combine(last.OutputDir, f)), $"{f} missing from {last.OutputDir}");

        // Submitting again with the same request id returns the same job (idempotent).
        Assert.Equal(job.Id, (await jobs.SubmitAsync(submit)).Id);
        // A bad job is refused before it starts, naming the field.
        var bad = new SubmitJobRequest();
        bad.Options["learning_rate"] = "0";
        var e = await Assert.ThrowsAsync<RpcException>(async () => await jobs.SubmitAsync(bad));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("learning_rate", e.Status.Detail);
    }
}
