using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using FineTune.AppHost.Dashboard;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.AppHost.Tests;

/// <summary>
/// The demo job as a dashboard row, in the same app start as the other AppHost tests: the row the AppHost publishes
/// (state, style, eval accuracy as GetJob gives it), its Report command's Markdown with the plots it links, and the rows
/// a restarted AppHost rebuilds from the coordinator.
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed partial class JobRowTests(AspireAppFixture app)
{
    [Fact]
    public async Task Aspire_JobRow_ReachesSucceeded_WithGetJobsEvalAccuracy_AndItsReportShowsEveryEvaluation()
    {
        var exit = await app.DemoExit;
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{app.CoordinatorPort}");
        var job = AspireAppTests.Demo((await new Jobs.JobsClient(channel).ListJobsAsync(new ListJobsRequest())).Jobs);
        Assert.True(exit == 0 && job.State == "succeeded", job.Json);
        var json = JsonNode.Parse(job.Json)!;
        var accuracy = json["metrics"]!["eval_accuracy"]!.GetValue<double>();

        var row = await Row(JobRow.NameOf(job.Id), s => s.State?.Text == "succeeded");
        Assert.Equal(KnownResourceStateStyles.Success, row.State?.Style);
        Assert.Equal(accuracy.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture), row.Properties.Single(p => p.Name == "job.eval_accuracy").Value);
        Assert.Equal($"step {job.GlobalStep} / {job.MaxSteps}", row.Properties.Single(p => p.Name == "job.progress").Value);

        var report = await app.App.ResourceCommands.ExecuteCommandAsync(JobRow.NameOf(job.Id), "job-report");
        Assert.True(report.Success, report.Message);
        var markdown = report.Data?.Value ?? "";
        Assert.Contains($"| eval_accuracy | {accuracy.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)} |", markdown);
        int evaluations = json["history"]!.AsArray().Count(h => h?["eval_accuracy"] is not null);
        Assert.Equal(evaluations, EvaluationRow().Matches(markdown).Count);
        var plot = PlotLink().Match(markdown);
        Assert.True(plot.Success, markdown);
        using var http = new HttpClient();
        var image = await http.GetAsync(plot.Groups[1].Value);
        Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>
    /// An AppHost restart: a new mirror, sharing nothing with the first (its own notification and logger services), rebuilds
    /// every job's row from ListJobs and the finished demo job's console from its history.
    /// </summary>
    [Fact]
    public async Task Aspire_JobMirror_AfterAnAppHostRestart_RebuildsEveryRowAndTheConsoleFromTheCoordinator()
    {
        var exit = await app.DemoExit;
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{app.CoordinatorPort}");
        var jobs = (await new Jobs.JobsClient(channel).ListJobsAsync(new ListJobsRequest())).Jobs;
        var demo = AspireAppTests.Demo(jobs);
        Assert.True(exit == 0 && demo.State == "succeeded", demo.Json);

        var coordinator = new JobsResource("coordinator"); // stands for the project: the mirror needs only its name and snapshot
        var rows = new JobsResource("jobs");
        rows.Annotations.Add(new ResourceRelationshipAnnotation(coordinator, "Parent"));
        var logs = new ResourceLoggerService();
        var notifications = new ResourceNotificationService(NullLogger<ResourceNotificationService>.Instance,
            app.App.Services.GetRequiredService<IHostApplicationLifetime>(), app.App.Services, logs);
        await notifications.PublishUpdateAsync(coordinator, s => s with { State = KnownResourceStates.Running });
        using var client = new JobsClient(app.CoordinatorPort);
        using var mirror = new JobMirror(rows, new SweepsResource("sweeps"), client, notifications, logs, NullLogger<JobMirror>.Instance);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watch = notifications.WatchAsync(timeout.Token);
        await mirror.StartAsync(timeout.Token);

        var pending = jobs.ToDictionary(j => JobRow.NameOf(j.Id), j => j.State);
        await foreach (var e in watch)
            if (pending.TryGetValue(e.ResourceId, out var state) && e.Snapshot.State?.Text == state && pending.Remove(e.ResourceId) && pending.Count == 0) break;
        Assert.Empty(pending);

        var history = JsonNode.Parse(demo.Json)!["history"]!.AsArray();
        var console = new List<string>();
        using var read = new CancellationTokenSource(TimeSpan.FromSeconds(10)); // the backlog, and lines written after the row
        try
        {
            await foreach (var batch in logs.WatchAsync(JobRow.NameOf(demo.Id)).WithCancellation(read.Token))
            {
                console.AddRange(batch.Select(l => l.Content));
                if (console.Count > history.Count) break;
            }
        }
        catch (OperationCanceledException)
        {
        }
        Assert.True(console.Count == history.Count + 1, $"{history.Count} history entries and the final line expected:\n{string.Join("\n", console)}");
        Assert.EndsWith(JobEventText.State(demo), console[^1]);
        await mirror.StopAsync(CancellationToken.None);
    }

    /// <summary>The job row's snapshot once <paramref name="done"/> holds (rows are instances of the "jobs" resource, by job id).</summary>
    async Task<CustomResourceSnapshot> Row(string name, Func<CustomResourceSnapshot, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var e in app.App.ResourceNotifications.WatchAsync(timeout.Token))
            if (e.ResourceId == name && done(e.Snapshot)) return e.Snapshot;
        throw new TimeoutException(name);
    }

    [GeneratedRegex(@"^\| [0-9.]+ \| [0-9]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$", RegexOptions.Multiline)]
    private static partial Regex EvaluationRow();

    [GeneratedRegex(@"!\[[^\]]*\]\((http://127\.0\.0\.1:[0-9]+/[^)]+\.png)\)")]
    private static partial Regex PlotLink();
}
