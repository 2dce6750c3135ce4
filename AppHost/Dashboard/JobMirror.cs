using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FineTune.AppHost.Dashboard;

/// <summary>
/// Mirrors the coordinator's jobs on the dashboard: ListJobs about every 2 s gives the rows (the newest 20 visible,
/// older ones hidden, not lost); each live job is followed with WatchJob into its row's console (steps about once a
/// second, log entries, evaluations, recoveries, the final line). After a coordinator or AppHost restart the rows come
/// back from ListJobs and each console from the job's history.
/// </summary>
public sealed class JobMirror(JobsResource resource, SweepsResource sweepRows, JobsClient client, ResourceNotificationService notifications,
    ResourceLoggerService logs, ILogger<JobMirror> log) : BackgroundService
{
    public const int Visible = 20;
    static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);
    readonly ConcurrentDictionary<string, Job> rows = new();
    readonly Dictionary<string, Task> followed = [];

    /// <summary>The coordinator's resource id (a project's name with the orchestrator's suffix), which the rows nest under.</summary>
    string parent = "";

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var coordinator = resource.Annotations.OfType<ResourceRelationshipAnnotation>().Last(r => r.Type == "Parent").Resource;
        parent = (await notifications.WaitForResourceAsync(coordinator.Name, _ => true, stop)).ResourceId;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await ShowSweeps(stop); // before the jobs: a trial's row nests under its sweep's
                var jobs = (await client.Jobs.ListJobsAsync(new ListJobsRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: stop)).Jobs;
                var newest = jobs.OrderByDescending(j => j.CreatedUnixMs).ToList();
                for (int i = 0; i < newest.Count; i++) await Show(newest[i], hidden: i >= Visible, stop);
            }
            catch (RpcException) when (stop.IsCancellationRequested)
            {
                return; // the AppHost stops
            }
            catch (RpcException e)
            {
                log.LogDebug("jobs: the coordinator does not answer yet ({Status})", e.StatusCode); // it starts after the AppHost
            }
            await Task.Delay(Poll, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>The job a row shows (commands find their job by the row's name), or null.</summary>
    public Job? JobOf(string rowName) => rows.TryGetValue(rowName, out var job) ? job : null;

    /// <summary>Publishes the job's row; a job seen for the first time gets its console from its history, a live one a follower.</summary>
    async Task Show(Job job, bool hidden, CancellationToken stop)
    {
        var name = JobRow.NameOf(job.Id);
        bool first = !rows.ContainsKey(name);
        rows[name] = job;
        await notifications.PublishUpdateAsync(resource, name, previous => JobRow.Snapshot(previous, job, hidden, ParentOf(job)));
        if (first) Backfill(name, job);
        if (!JobStates.StateOf(job).IsFinal() && (!followed.TryGetValue(name, out var task) || task.IsCompleted))
            followed[name] = Task.Run(() => Follow(name, job.Id, stop), stop);
    }

    string ParentOf(Job job) => JobRow.ParentOf(job, parent);

    /// <summary>One row per sweep, under the coordinator (a coordinator without sweep calls shows none).</summary>
    async Task ShowSweeps(CancellationToken stop)
    {
        try
        {
            var sweeps = (await client.Jobs.ListSweepsAsync(new ListSweepsRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: stop)).Sweeps;
            foreach (var sweep in sweeps)
                await notifications.PublishUpdateAsync(sweepRows, SweepRow.NameOf(sweep.Id), previous => SweepRow.Snapshot(previous, sweep, parent));
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
        }
    }

    /// <summary>The console as the job's history tells it: state, recoveries and log entries (a restart loses nothing).</summary>
    void Backfill(string name, Job job)
    {
        var console = logs.GetLogger(name);
        try
        {
            var json = JsonNode.Parse(job.Json);
            foreach (var entry in json?["history"]?.AsArray().OfType<JsonObject>() ?? [])
                console.LogInformation("{Line}", JobEventText.Log(ToLogEvent(entry)));
            foreach (var recovery in json?["recoveries"]?.AsArray().OfType<JsonObject>() ?? [])
                console.LogWarning("recovery: {Reason}", (string?)recovery["reason"]);
        }
        catch (System.Text.Json.JsonException)
        {
        }
        if (JobStates.StateOf(job).IsFinal()) console.LogInformation("{Line}", JobEventText.State(job));
    }

    /// <summary>WatchJob into the row's console until the job ends; the row itself follows the state events.</summary>
    async Task Follow(string name, string jobId, CancellationToken stop)
    {
        var console = logs.GetLogger(name);
        DateTime lastStep = default;
        try
        {
            using var call = client.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, cancellationToken: stop);
            await foreach (var e in call.ResponseStream.ReadAllAsync(stop))
            {
                switch (e.EventCase)
                {
                    case JobEvent.EventOneofCase.Job:
                        var state = JobStates.StateOf(e.Job);
                        if (!rows.TryGetValue(name, out var before) || JobStates.StateOf(before) != state)
                            console.LogInformation("{Line}", JobEventText.State(e.Job));
                        rows[name] = e.Job;
                        await notifications.PublishUpdateAsync(resource, name, previous => JobRow.Snapshot(previous, e.Job, previous.IsHidden, ParentOf(e.Job)));
                        break;
                    case JobEvent.EventOneofCase.Step when DateTime.UtcNow - lastStep >= TimeSpan.FromSeconds(1):
                        lastStep = DateTime.UtcNow;
                        console.LogInformation("{Line}", JobEventText.Step(e.Step));
                        break;
                    case JobEvent.EventOneofCase.Log:
                        console.LogInformation("{Line}", JobEventText.Log(e.Log));
                        break;
                    case JobEvent.EventOneofCase.Message:
                        console.LogInformation("{Line}", e.Message);
                        break;
                    case JobEvent.EventOneofCase.Data when e.Data.Phase is DataPhase.Ready or DataPhase.Failed:
                        console.LogInformation("data: {Phase}", e.Data.Phase);
                        break;
                }
            }
        }
        catch (RpcException e) when (!stop.IsCancellationRequested)
        {
            log.LogDebug("job {Job}: watching stopped ({Status}); the next poll follows it again", jobId, e.StatusCode);
        }
    }

    static LogEvent ToLogEvent(JsonObject entry)
    {
        static double Number(JsonNode? n) => n is JsonValue v && v.TryGetValue<double>(out var d) ? d : 0;
        var e = new LogEvent { Step = (int)Number(entry["step"]), Epoch = Number(entry["epoch"]) };
        foreach (var (key, value) in entry)
            if (key is not ("step" or "epoch") && value is JsonValue v && v.TryGetValue<double>(out var d)) e.Values[key] = d;
        return e;
    }
}
