using Aspire.Hosting.ApplicationModel;
using FineTune.Contracts;
using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace FineTune.AppHost.Dashboard;

/// <summary>
/// The job rows' commands, each enabled only where it makes sense: Cancel (queued or running, after a confirmation),
/// Download (succeeded: the output folder into DATA_DIR/downloads/JOB_ID) and Report (succeeded: Markdown with the
/// metrics, the per-evaluation table and the confusion matrix; the plots served by <see cref="DownloadsServer"/>).
/// </summary>
public static class JobCommands
{
    const long MaxDownloadBytes = 64L << 30;

    public static IResourceBuilder<JobsResource> WithJobCommands(this IResourceBuilder<JobsResource> jobs) => jobs
        .WithCommand("cancel-job", "Cancel", context => Run(context, async (job, client, _) =>
        {
            var cancelled = await client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id }, cancellationToken: context.CancellationToken);
            return CommandResults.Success($"job {job.Id}: {cancelled.State}");
        }), new CommandOptions
        {
            UpdateState = c => IsLive(c.ResourceSnapshot) ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
            ConfirmationMessage = "Cancel this job? Its workers stop at the next step; a cancelled job cannot be resumed.",
            IconName = "Stop",
            IsHighlighted = true,
        })
        .WithCommand("download-job", "Download", context => Run(context, async (job, client, server) =>
        {
            var dir = await Download(job, client, server, context.CancellationToken);
            return CommandResults.Success($"job {job.Id}: output in {dir}");
        }), new CommandOptions { UpdateState = c => Succeeded(c.ResourceSnapshot), IconName = "ArrowDownload" })
        .WithCommand("job-report", "Report", context => Run(context, async (job, client, server) =>
        {
            var dir = await Download(job, client, server, context.CancellationToken);
            var report = Path.Combine(dir, "report.md");
            var markdown = JobReport.Markdown(job, File.Exists(report) ? await File.ReadAllTextAsync(report) : null, server.Folder(job.Id));
            return CommandResults.Success($"job {job.Id}: report",
                new CommandResultData { Value = markdown, Format = CommandResultFormat.Markdown, DisplayImmediately = true }); // opens at once
        }), new CommandOptions { UpdateState = c => Succeeded(c.ResourceSnapshot), IconName = "DocumentText" });

    /// <summary>The job's output folder in DATA_DIR/downloads/JOB_ID (downloaded once; each file's SHA-256 checked).</summary>
    static async Task<string> Download(Job job, JobsClient client, DownloadsServer server, CancellationToken cancel)
    {
        var dir = Path.Combine(server.Root, job.Id);
        if (File.Exists(Path.Combine(dir, "config.json"))) return dir;
        Directory.CreateDirectory(dir);
        using var call = client.Jobs.Download(new DownloadRequest { JobId = job.Id }, cancellationToken: cancel);
        using var receiver = new FileChunkReceiver(dir, MaxDownloadBytes);
        await FileTransfers.ReceiveAsync(call.ResponseStream, receiver, cancel);
        return dir;
    }

    static async Task<ExecuteCommandResult> Run(ExecuteCommandContext context, Func<Job, JobsClient, DownloadsServer, Task<ExecuteCommandResult>> command)
    {
        var services = context.Services;
        if (services.GetRequiredService<JobMirror>().JobOf(context.ResourceName) is not { } job)
            return CommandResults.Failure($"{context.ResourceName}: no such job on the coordinator");
        try
        {
            return await command(job, services.GetRequiredService<JobsClient>(), services.GetRequiredService<DownloadsServer>());
        }
        catch (RpcException e)
        {
            return CommandResults.Failure($"job {job.Id}: {e.Status.Detail} ({e.StatusCode})");
        }
        catch (IOException e)
        {
            return CommandResults.Failure($"job {job.Id}: {e.Message}");
        }
    }

    static bool IsLive(CustomResourceSnapshot snapshot) =>
        Enum.GetValues<JobState>().Any(s => s != JobState.Unspecified && !s.IsFinal() && s.Name() == snapshot.State?.Text);

    static ResourceCommandState Succeeded(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text == JobState.Succeeded.Name() ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;
}
