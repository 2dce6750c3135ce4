using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using FineTune.AppHost.Dashboard;
using FineTune.Contracts.V1;
using Grpc.Net.Client;

namespace FineTune.AppHost.Tests;

/// <summary>
/// The demo job as a dashboard row, in the same app start as the other AppHost tests: the row the AppHost publishes
/// (state, style, eval accuracy as GetJob gives it), and its Report command's Markdown with the plots it links.
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
