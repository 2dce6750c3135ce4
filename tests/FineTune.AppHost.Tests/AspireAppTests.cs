using System.Text.Json.Nodes;
using FineTune.AppHost.Tests.Otlp;
using FineTune.Contracts.V1;
using Grpc.Net.Client;

namespace FineTune.AppHost.Tests;

/// <summary>`dotnet run --project AppHost` as a user gets it: the demo job trains on 2 workers, and the dashboard's telemetry is really exported.</summary>
[Collection(AspireAppCollection.Name)]
public sealed class AspireAppTests(AspireAppFixture app)
{
    [Fact]
    public async Task Aspire_DemoJob_SucceedsOnTwoWorkers_WithEvalAccuracyAtLeast088()
    {
        var exit = await app.DemoExit;
        var jobs = await Jobs();
        Assert.True(exit == 0, $"the demo exited with {exit}; jobs: {string.Join("\n", jobs.Select(j => j.Json))}");
        var job = Demo(jobs);
        Assert.Equal("succeeded", job.State);
        Assert.Equal(2, job.WorldSize);
        Assert.Equal(["worker-0", "worker-1"], job.Workers.Order());
        var accuracy = JsonNode.Parse(job.Json)!["metrics"]!["eval_accuracy"]!.GetValue<double>();
        Assert.True(accuracy >= 0.88, $"eval_accuracy {accuracy:F4} < 0.88");
    }

    [Fact]
    public Task Aspire_FineTuneMetrics_HaveDataPointsFromEachWorker() =>
        AssertTelemetry("metric", job => TelemetryChecks.Metrics(app.Otlp.Metrics, job));

    [Fact]
    public Task Aspire_JobSpans_FormOneTrace_JobPrepareRankEpochStep() =>
        AssertTelemetry("span", job => TelemetryChecks.Spans(app.Otlp.Spans, job));

    [Fact]
    public Task Aspire_WorkerLogs_CarryTheJobRankAndWorkerScope() =>
        AssertTelemetry("log", job => TelemetryChecks.Logs(app.Otlp.Logs, job));

    /// <summary>
    /// Once the demo job has ended (every epoch, evaluation and checkpoint recorded), waits up to 30 s for the last
    /// exports (metrics every second, spans and logs in batches) until the check finds nothing wrong, then asserts.
    /// </summary>
    async Task AssertTelemetry(string kind, Func<DemoJob, List<string>> check)
    {
        var exit = await app.DemoExit;
        var record = Demo(await Jobs());
        Assert.True(exit == 0 && record.State == "succeeded", $"the demo exited with {exit}: {record.Json}");
        var metrics = JsonNode.Parse(record.Json)!["metrics"]!;
        var job = new DemoJob(record.Id, [.. record.Workers.Order()], metrics["global_step"]!.GetValue<int>(),
            (int)Math.Round(metrics["epoch"]!.GetValue<double>()), metrics["restarts"]!.GetValue<int>(), metrics["eval_accuracy"]!.GetValue<double>());
        Assert.Equal(["worker-0", "worker-1"], job.Workers); // the checks go worker by worker: never vacuous
        Assert.Equal(3, job.Epochs); // the default job: 3 epochs of 50 steps
        Assert.Equal(150, job.GlobalStep);
        // The exact counts below (one rank span per worker, one prepare, every step's samples) hold for one generation.
        Assert.True(job.Restarts == 0, $"the demo job recovered {job.Restarts} time(s); the telemetry checks expect an undisturbed run: {record.Json}");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var problems = check(job);
        while (problems.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1000);
            problems = check(job);
        }
        Assert.Empty(app.Otlp.Errors);
        Assert.True(problems.Count == 0, $"{kind} telemetry of job {job.Id}:\n  {string.Join("\n  ", problems)}\n" +
            $"({app.Otlp.Count("/v1/metrics")} metric, {app.Otlp.Count("/v1/traces")} trace, {app.Otlp.Count("/v1/logs")} log payloads; " +
            $"services {string.Join(", ", app.Otlp.Metrics.Select(m => m.Service).Concat(app.Otlp.Spans.Select(s => s.Service)).Distinct().Order())})");
    }

    /// <summary>The demo job: the first one created (DashboardJobTests submits and cancels a second one).</summary>
    internal static Job Demo(IReadOnlyList<Job> jobs)
    {
        Assert.NotEmpty(jobs);
        return jobs.MinBy(j => j.CreatedUnixMs)!;
    }

    async Task<IReadOnlyList<Job>> Jobs()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{app.CoordinatorPort}");
        return (await new Jobs.JobsClient(channel).ListJobsAsync(new ListJobsRequest())).Jobs;
    }
}
