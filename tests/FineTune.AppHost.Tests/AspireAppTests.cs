using System.Text.Json.Nodes;
using FineTune.Contracts.V1;
using Grpc.Net.Client;

namespace FineTune.AppHost.Tests;

/// <summary>`dotnet run --project AppHost` as a user gets it: the demo job trains on 2 workers, and the dashboard's telemetry is really exported.</summary>
public sealed class AspireAppTests(AspireAppFixture app) : IClassFixture<AspireAppFixture>
{
    [Fact]
    public async Task Aspire_DemoJob_SucceedsOnTwoWorkers_WithEvalAccuracyAtLeast088()
    {
        var exit = await app.DemoExit;
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{app.CoordinatorPort}");
        var jobs = (await new Jobs.JobsClient(channel).ListJobsAsync(new ListJobsRequest())).Jobs;
        Assert.True(exit == 0, $"the demo exited with {exit}; jobs: {string.Join("\n", jobs.Select(j => j.Json))}");
        var job = Assert.Single(jobs);
        Assert.Equal("succeeded", job.State);
        Assert.Equal(2, job.WorldSize);
        Assert.Equal(["worker-0", "worker-1"], job.Workers.Order());
        var accuracy = JsonNode.Parse(job.Json)!["metrics"]!["eval_accuracy"]!.GetValue<double>();
        Assert.True(accuracy >= 0.88, $"eval_accuracy {accuracy:F4} < 0.88");
    }

    [Fact]
    public async Task Aspire_TrainingTelemetry_IsExportedOverOtlp()
    {
        await app.DemoExit; // the whole job ran: every epoch, evaluation and checkpoint has been recorded
        string[] metrics = ["finetune.train.loss", "finetune.train.learning_rate", "finetune.train.grad_norm", "finetune.train.samples",
            "finetune.train.tokens", "finetune.train.step.duration", "finetune.train.data_wait.duration", "finetune.train.forward.duration",
            "finetune.train.backward.duration", "finetune.train.allreduce.duration", "finetune.train.optimizer.duration",
            "finetune.allreduce.bytes", "finetune.eval.accuracy", "finetune.checkpoint.duration", "finetune.job.state",
            "finetune.job.id", "finetune.rank", "finetune.worker", "worker-1"];
        string[] spans = ["prepare", "tokenize", "shard", "epoch", "step", "allreduce", "evaluation", "checkpoint", "rank 1", "finetune.job.id"];
        string[] logs = ["JobId", "Rank"];
        // Metrics export every second, spans and logs in batches: give the last ones a moment to arrive.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string[] Missing() => [.. metrics.Where(m => !app.Otlp.Contains("/v1/metrics", m)).Select(m => $"metric {m}"),
            .. spans.Where(s => !app.Otlp.Contains("/v1/traces", s)).Select(s => $"span {s}"),
            .. logs.Where(l => !app.Otlp.Contains("/v1/logs", l)).Select(l => $"log attribute {l}")];
        while (Missing().Length > 0 && DateTime.UtcNow < deadline) await Task.Delay(500);
        Assert.True(Missing().Length == 0, $"not exported: {string.Join(", ", Missing())} ({app.Otlp.Count("/v1/metrics")} metric, {app.Otlp.Count("/v1/traces")} trace, {app.Otlp.Count("/v1/logs")} log payloads)");
    }
}
