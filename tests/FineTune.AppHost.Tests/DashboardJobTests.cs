using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FineTune.AppHost.Dashboard;
using FineTune.AppHost.Tests.Browser;
using FineTune.Contracts.V1;
using Grpc.Net.Client;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace FineTune.AppHost.Tests;

/// <summary>
/// The coordinator's jobs as a person sees them on the dashboard, in the shared app start: a job submitted from the
/// coordinator row's dialog (a bad learning rate first) and cancelled from its row; a running job's trace; then the
/// demo job's row (nested under the coordinator) reaching succeeded with GetJob's eval accuracy, and its Report.
/// </summary>
[Collection(AspireAppCollection.Name)]
[TestCaseOrderer(TestOrderer.Name, TestOrderer.Assembly)]
public sealed class DashboardJobTests(AspireAppFixture app, DashboardBrowser browser, ITestOutputHelper output) : IClassFixture<DashboardBrowser>
{
    const string SubmitTitle = "Submit a fine-tuning job";
    static readonly TimeSpan JobWait = TimeSpan.FromSeconds(60);

    [SkippableFact, TestOrder(1)]
    public async Task Dashboard_SubmitJob_RejectsABadLearningRate_ThenSubmitsOneThatIsCancelledFromItsRow()
    {
        var demo = await DemoJob(); // submitted first: the jobs after it are this test's
        var page = await Open();
        await Steps(page, "submit", async () =>
        {
            var coordinator = DashboardPage.ResourceRow(page, "coordinator");
            await DashboardPage.ClickCommand(page, coordinator, "Submit job");
            var dialog = DashboardPage.Dialog(page, SubmitTitle);
            await Expect(DashboardPage.DialogText(page, SubmitTitle)).ToBeVisibleAsync(new() { Timeout = 30_000 });
            Assert.Equal("default", await (await DashboardPage.Field(dialog, "(model)")).InputValueAsync());
            Assert.Equal("default", await (await DashboardPage.Field(dialog, "(dataset)")).InputValueAsync());

            var rate = await DashboardPage.Field(dialog, "--learning-rate (learning_rate)");
            var defaultRate = await rate.InputValueAsync();
            await DashboardPage.Set(rate, "-1");
            await DashboardPage.DialogButton(dialog, "Submit").ClickAsync();
            await Expect(page.GetByText("--learning-rate (learning_rate): must be greater than 0").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Screenshot(page, "submit-invalid.png");
            Assert.Equal([demo.Id], (await Jobs()).Select(j => j.Id)); // nothing submitted

            await DashboardPage.Set(rate, defaultRate);
            await DashboardPage.Set(await DashboardPage.Field(dialog, "(num_train_epochs)"), "1");
            await DashboardPage.Set(await DashboardPage.Field(dialog, "(workers)"), "1");
            await DashboardPage.DialogButton(dialog, "Submit").ClickAsync();
            await Expect(DashboardPage.DialogText(page, SubmitTitle)).ToBeHiddenAsync(new() { Timeout = 30_000 });
            var job = await WaitForJob(jobs => jobs.FirstOrDefault(j => j.Id != demo.Id));
            output.WriteLine($"submitted {job.Id} ({job.State}): {string.Join(", ", job.Options.Select(o => $"{o.Key}={o.Value}"))}");
            Assert.Equal(("1", "1", "default", "default"), (job.Options["num_train_epochs"], job.Options["workers"], job.Options["model"], job.Options["dataset"]));

            var row = DashboardPage.ResourceRow(page, JobRow.NameOf(job.Id));
            await Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await DashboardPage.ClickCommand(page, row, "Cancel");
            var confirm = DashboardPage.Dialog(page, "Cancel this job?");
            await Expect(DashboardPage.DialogText(page, "Cancel this job?")).ToBeVisibleAsync(new() { Timeout = 10_000 });
            await DashboardPage.DialogButton(confirm, "Yes|OK|Ok|Confirm").ClickAsync();
            var cancelled = await WaitForJob(jobs => jobs.FirstOrDefault(j => j.Id == job.Id && j.State == "cancelled"));
            Assert.Equal("cancelled", cancelled.State);
            await Expect(row).ToContainTextAsync("cancelled", new() { Timeout = 30_000, IgnoreCase = true }); // shown as "Cancelled"
            await Screenshot(page, "submit-cancelled.png");
        });
    }

    /// <summary>
    /// A running job's trace: found by the trace id of its first exported step span (rank and step spans are exported as
    /// they start or end, the job's root only when it ends), it shows rank and step spans, and no transfer spans, while
    /// GetJob still says the job trains. The demo job when it has most of its steps ahead, else a job of our own.
    /// </summary>
    [SkippableFact, TestOrder(2)]
    public async Task Dashboard_RunningJobTrace_ShowsRankAndStepSpans_AndNoTransferSpans()
    {
        var (job, own) = await RunningJob();
        var page = await Open();
        await Steps(page, "trace", async () =>
        {
            var step = await WaitFor(() => app.Otlp.Spans.FirstOrDefault(s => s.Name == "step" && s.Attributes.GetValueOrDefault("finetune.job.id") == job.Id));
            await page.GotoAsync(new Uri(app.DashboardBase, $"traces/detail/{step.TraceId}").ToString());
            output.WriteLine($"job {job.Id}'s trace while it trains: {page.Url}");
            var spans = page.GetByRole(AriaRole.Row);
            await Expect(spans.Filter(new() { HasTextRegex = new Regex(@"\brank 0\b") }).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Expect(spans.Filter(new() { HasTextRegex = new Regex(@"\bstep\b") }).First).ToBeVisibleAsync();
            await Screenshot(page, "trace.png");
            var filter = DashboardPage.FilterBox(page);
            foreach (var transfer in new[] { "FetchShard", "FetchBlob" })
            {
                await filter.FillAsync(transfer);
                await page.WaitForTimeoutAsync(1000); // the filter applies after a short debounce
                Assert.Equal(0, await spans.Filter(new() { HasText = transfer }).CountAsync());
            }
            var now = await GetJob(job.Id);
            Assert.True(now.State == "running", $"the trace was checked after the job ended: {now.State}");
            output.WriteLine($"job {job.Id} at step {now.GlobalStep} / {now.MaxSteps}: rank 0 and step spans shown; no FetchShard/FetchBlob span");
        });
        if (own)
        {
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{app.CoordinatorPort}");
            await new Jobs.JobsClient(channel).CancelJobAsync(new CancelJobRequest { JobId = job.Id });
            await WaitForJob(jobs => jobs.FirstOrDefault(j => j.Id == job.Id && j.State == "cancelled"));
        }
    }

    /// <summary>The demo job while it has at least half its steps ahead; else, once it ends, a 3-epoch job of ours.</summary>
    async Task<(Job Job, bool Own)> RunningJob()
    {
        var demo = await WaitForJob(jobs => jobs.MinBy(j => j.CreatedUnixMs) is { State: not "queued" } d ? d : null);
        if (demo.State == "running" && demo.GlobalStep < demo.MaxSteps / 2) return (demo, false);
        await SucceededDemoJob();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{app.CoordinatorPort}");
        var request = new SubmitJobRequest();
        request.Options.Add(new Dictionary<string, string> { ["num_train_epochs"] = "3", ["workers"] = "2" });
        var submitted = await new Jobs.JobsClient(channel).SubmitAsync(request);
        return (await WaitForJob(jobs => jobs.FirstOrDefault(j => j.Id == submitted.Id && j.State == "running")), true);
    }

    [SkippableFact, TestOrder(3)]
    public async Task Dashboard_DemoJobRow_ReachesSucceeded_WithGetJobsEvalAccuracy()
    {
        var demo = await SucceededDemoJob();
        var json = JsonNode.Parse(demo.Json)!;
        var accuracy = json["metrics"]!["eval_accuracy"]!.GetValue<double>().ToString("0.0000", CultureInfo.InvariantCulture);
        var page = await Open();
        await Steps(page, "job-row", async () =>
        {
            var row = DashboardPage.ResourceRow(page, JobRow.NameOf(demo.Id));
            await Expect(row).ToContainTextAsync("succeeded", new() { Timeout = 60_000, IgnoreCase = true }); // shown as "Succeeded"
            // Nested under the coordinator: the job's name is indented from the coordinator's (the chevron has no accessible name).
            var parentName = await DashboardPage.ResourceRow(page, "coordinator").GetByText("coordinator", new() { Exact = true }).BoundingBoxAsync();
            var jobName = await row.GetByText(JobRow.NameOf(demo.Id), new() { Exact = true }).BoundingBoxAsync();
            Assert.True(jobName!.X > parentName!.X + 8, $"the job row is not nested: its name at x={jobName.X}, the coordinator's at x={parentName.X}");
            await row.GetByText(JobRow.NameOf(demo.Id), new() { Exact = true }).ClickAsync(); // opens the details panel
            // The panel lists the dashboard's core properties only, until its View options say "Show all properties".
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Job: {JobRow.NameOf(demo.Id)}" })).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "View options" }).Last.ClickAsync(); // the panel's, after the page's own
            await page.GetByRole(AriaRole.Menuitem, new() { Name = "Show all properties" }).ClickAsync();
            var property = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Eval accuracy" }).First;
            await Expect(property).ToContainTextAsync(accuracy, new() { Timeout = 30_000 });
            output.WriteLine($"job {demo.Id}: succeeded, Eval accuracy {accuracy} (GetJob)");
            await Screenshot(page, "job-row.png");

            // Report: its Markdown as the dashboard renders it, with GetJob's eval accuracy and a row per evaluation.
            await DashboardPage.ClickCommand(page, row, "Report");
            var evaluations = page.GetByRole(AriaRole.Table).Filter(new() { Has = page.GetByRole(AriaRole.Columnheader, new() { Name = "step", Exact = true }) }).First;
            await Expect(evaluations).ToBeVisibleAsync(new() { Timeout = 60_000 });
            var metric = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = "eval_accuracy", Exact = true }) }).First;
            var reported = json["metrics"]!["eval_accuracy"]!.GetValue<double>().ToString("0.####", CultureInfo.InvariantCulture);
            await Expect(metric.GetByRole(AriaRole.Cell).Last).ToHaveTextAsync(reported);
            int evaluated = json["history"]!.AsArray().Count(h => h?["eval_accuracy"] is not null);
            Assert.Equal(evaluated + 1, await evaluations.GetByRole(AriaRole.Row).CountAsync()); // and its header
            output.WriteLine($"report: eval_accuracy {reported}, {evaluated} evaluation rows");
            await Screenshot(page, "report.png");
        });
    }

    /// <summary>The dashboard's resources page, logged in.</summary>
    async Task<IPage> Open()
    {
        if (browser.Unavailable is { } reason)
        {
            if (Chromium.Required) Assert.Fail($"CI=true and no browser: {reason}");
            Skip.If(true, reason);
        }
        var page = await browser.NewPage();
        await page.GotoAsync((await app.DashboardUrl()).ToString());
        await DashboardPage.ResourceRow(page, "coordinator").WaitForAsync(new() { Timeout = 60_000 }); // its job rows show below it
        return page;
    }

    /// <summary>Runs a test's steps; when one fails, the page's accessibility tree and a screenshot say what it showed.</summary>
    async Task Steps(IPage page, string name, Func<Task> steps)
    {
        try
        {
            await steps();
        }
        catch (Exception)
        {
            output.WriteLine($"failed at {page.Url}; the page's accessibility tree:\n{await page.Locator("body").AriaSnapshotAsync()}");
            await Screenshot(page, $"failed-{name}.png");
            // A dialog left open stays pending in the AppHost and covers every dashboard page of the later tests.
            try
            {
                await DashboardPage.DialogButton(DashboardPage.Dialog(page, SubmitTitle), "Cancel").ClickAsync(new() { Timeout = 3000 });
            }
            catch (Exception e) when (e is TimeoutException or PlaywrightException)
            {
            }
            throw;
        }
    }

    async Task<Job> DemoJob() => await WaitForJob(jobs => jobs.MinBy(j => j.CreatedUnixMs));

    async Task<Job> SucceededDemoJob()
    {
        var exit = await app.DemoExit;
        var job = await GetJob((await DemoJob()).Id);
        Assert.True(exit == 0 && job.State == "succeeded", $"the demo exited with {exit}: {job.Json}");
        return job;
    }

    async Task<Job> GetJob(string id)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{app.CoordinatorPort}");
        return await new Jobs.JobsClient(channel).GetJobAsync(new GetJobRequest { JobId = id });
    }

    static async Task<T> WaitFor<T>(Func<T?> find) where T : class
    {
        var deadline = DateTime.UtcNow + JobWait;
        while (true)
        {
            if (find() is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"nothing found after {JobWait}");
            await Task.Delay(250);
        }
    }

    async Task<Job> WaitForJob(Func<IReadOnlyList<Job>, Job?> find)
    {
        var deadline = DateTime.UtcNow + JobWait;
        while (true)
        {
            var jobs = await Jobs();
            if (find(jobs) is { } job) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no such job after {JobWait}: {string.Join(", ", jobs.Select(j => $"{j.Id} {j.State}"))}");
            await Task.Delay(500);
        }
    }

    async Task<IReadOnlyList<Job>> Jobs()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{app.CoordinatorPort}");
        return (await new Jobs.JobsClient(channel).ListJobsAsync(new ListJobsRequest())).Jobs;
    }

    async Task Screenshot(IPage page, string name)
    {
        var path = Path.Combine(DashboardPage.ScreenshotFolder(), name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        output.WriteLine($"screenshot: {path}");
    }
}
