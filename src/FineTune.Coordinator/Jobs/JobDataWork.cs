using System.Diagnostics;
using System.Threading.Channels;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core.Arguments;
using FineTune.Core.Hub;
using FineTune.Core.Tokenization;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// Reads, labels and tokenizes each accepted job's data in the background, right after Submit answers and before any
/// worker is reserved (the scheduler takes a queued job only once its data is ready). One job at a time, in submission
/// order: the tokenizer already uses every core. The job's watchers see the examples read, then tokenized, a few times a
/// second. Bad data fails the job with the loader's one-line reason; a fault (I/O) counts as a recovery and the work
/// runs again (JobLifecycle.OnDataFailed). A job cancelled meanwhile stops its work at the next progress report.
/// </summary>
public sealed class JobDataWork(JobStore jobs, JobLifecycle lifecycle, TokenizationCache tokenized, CoordinatorOptions options, ILogger<JobDataWork> log) : BackgroundService
{
    /// <summary>The hub client's waits between attempts after a 5xx or a network failure (tests: short).</summary>
    public IReadOnlyList<TimeSpan>? HubRetryDelays { get; init; }

    /// <summary>For tests: the hub client's HTTP layer (an in-memory hub).</summary>
    public HttpMessageHandler? HubHandler { get; init; }

    /// <summary>The least time between two progress events of one phase (tests: zero, every report).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    readonly Channel<JobRecord> queue = Channel.CreateUnbounded<JobRecord>();

    /// <summary>Queues an accepted job's data work.</summary>
    public void Start(JobRecord job) => queue.Writer.TryWrite(job);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        // After a restart: the jobs still waiting for their data (in creation order, as the store lists them).
        foreach (var job in jobs.All().Where(j => j.State == JobState.Queued && !j.DataReady)) Start(job);
        await foreach (var job in queue.Reader.ReadAllAsync(stop))
            await Task.Run(() => Prepare(job), stop).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>One job's data, until it is ready, the job fails or it ends otherwise (blocking; tests call it directly).</summary>
    public void Prepare(JobRecord job)
    {
        while (IsWaiting(job))
        {
            var clock = Stopwatch.StartNew();
            string phase = "";
            try
            {
                if (job.IsEvaluation)
                {
                    // Its labelled folder is read and tokenized by the worker that scores it: nothing to prepare here.
                    if (lifecycle.OnDataReady(job)) log.LogInformation("job {Job}: evaluation ready", job.Id);
                    return;
                }
                var spec = LocalSpec(job);
                // Submit checked the spec and a local model folder: only where the folder is (its tokenizer) is needed here.
                var folder = FineTune.Core.Modeling.ModelFolder.Resolve(spec.Model);
                tokenized.Ensure(spec, folder, progress =>
                {
                    if (!IsWaiting(job)) throw new OperationCanceledException($"job {job.Id} ended while its data was read");
                    if (progress.Phase == phase && clock.Elapsed < ProgressInterval) return;
                    (phase, clock) = (progress.Phase, Stopwatch.StartNew());
                    lifecycle.OnDataProgress(job, progress);
                });
                if (lifecycle.OnDataReady(job)) log.LogInformation("job {Job}: data ready", job.Id);
                return;
            }
            catch (OperationCanceledException) when (!IsWaiting(job))
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "job {Job}: reading its data failed", job.Id);
                if (!lifecycle.OnDataFailed(job, e)) return;
            }
        }
    }

    /// <summary>
    /// The spec as the data is read: hub ids resolved into the cache first (once; their commits recorded), then the
    /// checks Submit left for their files (config, weights, max_length, tokenizer). A 401, 403 or 404 is bad input;
    /// an unreachable hub a fault (HubUnavailableException), retried as a recovery.
    /// </summary>
    TrainingArguments LocalSpec(JobRecord job)
    {
        if (options.Hub is not { } settings || !HubInputs.Needed(job.Spec, JobPaths.IsHubId)) return job.Spec;
        if (job.Hub is null)
        {
            lifecycle.OnDataProgress(job, new DataProgress { Phase = DataPhase.Downloading });
            using var client = new HubClient(settings, HubHandler) { RetryDelays = HubRetryDelays ?? HubClient.DefaultRetryDelays };
            var inputs = HubInputs.ResolveAsync(job.Spec, new HubSnapshots(client), JobPaths.IsHubId).GetAwaiter().GetResult();
            lifecycle.OnHubResolved(job, inputs.Sources());
            log.LogInformation("job {Job}: hub inputs {Sources}", job.Id, inputs.Sources().ToJsonString());
        }
        var spec = job.LocalSpec(new HubCache(settings.CacheRoot));
        if (JobPaths.IsHubId(job.Spec.Model)) BertTokenizer.FromFolder(JobSpec.CheckModel(spec));
        return spec;
    }

    bool IsWaiting(JobRecord job) => jobs.Read(() => job.State == JobState.Queued && !job.DataReady);
}
