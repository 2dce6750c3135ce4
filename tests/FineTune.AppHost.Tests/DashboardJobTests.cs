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
/// coordinator row's dialog (a bad learning rate first) and cancelled from its row, while the demo job still trains;
/// then the demo job's trace and its row reaching succeeded with GetJob's eval accuracy.
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

    /// <summary>The finished trace (the job span ends with the job): found by its name on the Traces page.</summary>
    [SkippableFact, TestOrder(2)]
    public async Task Dashboard_DemoJobTrace_ShowsRankAndStepSpans_AndNoTransferSpans()
    {
        var demo = await SucceededDemoJob();
        var page = await Open();
        await Steps(page, "trace", async () =>
        {
            await page.GotoAsync(new Uri(app.DashboardBase, "traces").ToString());
            await DashboardPage.FilterBox(page).FillAsync("coordinator: job");
            var trace = page.GetByRole(AriaRole.Row).Filter(new() { HasTextRegex = new Regex(@"coordinator: job(?![\w/.])") }).First;
            await Expect(trace).ToBeVisibleAsync(new() { Timeout = 60_000 });
            var link = trace.GetByRole(AriaRole.Link);
            if (await link.CountAsync() > 0) await link.First.ClickAsync();
            else await trace.ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/traces/detail/"), new() { Timeout = 30_000 }); // Blazor navigates without a load event
            output.WriteLine($"the job's trace: {page.Url}");

            var spans = page.GetByRole(AriaRole.Row);
            await Expect(spans.Filter(new() { HasTextRegex = new Regex(@"\brank 0\b") }).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Expect(spans.Filter(new() { HasTextRegex = new Regex(@"\bstep\b") }).First).ToBeVisibleAsync();
            await Screenshot(page, "trace.png");
            var filter = DashboardPage.FilterBox(page);
            await filter.FillAsync("rank 1");
            await Expect(spans.Filter(new() { HasTextRegex = new Regex(@"\brank 1\b") }).First).ToBeVisibleAsync(new() { Timeout = 10_000 });
            foreach (var transfer in new[] { "FetchShard", "FetchBlob" })
            {
                await filter.FillAsync(transfer);
                await page.WaitForTimeoutAsync(1000); // the filter applies after a short debounce
                Assert.Equal(0, await spans.Filter(new() { HasText = transfer }).CountAsync());
            }
            output.WriteLine($"job {demo.Id}: rank 0, rank 1 and step spans shown; no FetchShard/FetchBlob span");
        });
    }

    [SkippableFact, TestOrder(3)]
    public async Task Dashboard_DemoJobRow_ReachesSucceeded_WithGetJobsEvalAccuracy()
    {
        var demo = await SucceededDemoJob();
        var accuracy = JsonNode.Parse(demo.Json)!["metrics"]!["eval_accuracy"]!.GetValue<double>().ToString("0.0000", CultureInfo.InvariantCulture);
        var page = await Open();
        await Steps(page, "job-row", async () =>
        {
            var row = DashboardPage.ResourceRow(page, JobRow.NameOf(demo.Id));
            await Expect(row).ToContainTextAsync("succeeded", new() { Timeout = 60_000, IgnoreCase = true }); // shown as "Succeeded"
            await row.GetByText(JobRow.NameOf(demo.Id), new() { Exact = true }).ClickAsync(); // opens the details panel
            // The panel lists the dashboard's core properties only, until its View options say "Show all properties".
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Job: {JobRow.NameOf(demo.Id)}" })).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "View options" }).Last.ClickAsync(); // the panel's, after the page's own
            await page.GetByRole(AriaRole.Menuitem, new() { Name = "Show all properties" }).ClickAsync();
            var property = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Eval accuracy" }).First;
            await Expect(property).ToContainTextAsync(accuracy, new() { Timeout = 30_000 });
            output.WriteLine($"job {demo.Id}: succeeded, Eval accuracy {accuracy} (GetJob)");
            await Screenshot(page, "job-row.png");
        });
    }

    /// <summary>The dashboard's resources page, logged in, with the coordinator's children shown.</summary>
    async Task<IPage> Open()
    {
        if (browser.Unavailable is { } reason)
        {
            if (Chromium.Required) Assert.Fail($"CI=true and no browser: {reason}");
            Skip.If(true, reason);
        }
        var page = await browser.NewPage();
        await page.GotoAsync((await app.DashboardUrl()).ToString());
        var coordinator = DashboardPage.ResourceRow(page, "coordinator");
        await coordinator.WaitForAsync(new() { Timeout = 60_000 });
        var expand = coordinator.GetByRole(AriaRole.Button, new() { Name = "Expand child resources" });
        if (await expand.CountAsync() > 0) await expand.First.ClickAsync(); // the job rows are the coordinator's children
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
        var demo = await DemoJob();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{app.CoordinatorPort}");
        var job = await new Jobs.JobsClient(channel).GetJobAsync(new GetJobRequest { JobId = demo.Id });
        Assert.True(exit == 0 && job.State == "succeeded", $"the demo exited with {exit}: {job.Json}");
        return job;
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
