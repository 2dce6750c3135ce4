using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core.Telemetry;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// The coordinator's share of the FineTune telemetry: one "job" span per job, from preparing to its end (the parent of
/// the prepare phases here and of every rank's spans on the workers), and the finetune.job.state gauge.
/// </summary>
public sealed class JobTelemetry
{
    // finetune.job.state's value: the state's position in the job's life, 0 for queued (its name travels as an attribute too).
    static int Position(JobState state) => (int)state - (int)JobState.Queued;
    const int ReportedJobs = 20; // the newest jobs only: the gauge stays small on a long-lived coordinator

    readonly ConcurrentDictionary<string, Activity> spans = new();

    public JobTelemetry(JobStore jobs)
    {
        jobs.StateChanged += OnStateChanged;
        FineTuneTelemetry.Meter.CreateObservableGauge("finetune.job.state", () => jobs.All().TakeLast(ReportedJobs).Select(j =>
                new Measurement<int>(Position(j.State), new KeyValuePair<string, object?>(FineTuneTelemetry.JobId, j.Id), new KeyValuePair<string, object?>("finetune.job.state_name", j.State.Name()))),
            description: "job state: 0 queued, 1 preparing, 2 running, 3 recovering, 4 succeeded, 5 failed, 6 cancelled, 7 stopped");
    }

    /// <summary>The job's span, for its phases' spans and the workers' traceparent; null when nobody listens.</summary>
    public Activity? SpanOf(JobRecord job) => spans.GetValueOrDefault(job.Id);

    /// <summary>A phase of the job (prepare, tokenize, shard) under the given parent span.</summary>
    public static Activity? StartPhase(string name, Activity? parent, JobRecord job) => parent is null ? null
        : FineTuneTelemetry.Source.StartActivity(name, ActivityKind.Internal, parent.Context, [new(FineTuneTelemetry.JobId, job.Id)]);

    void OnStateChanged(JobRecord job, JobState before)
    {
        var current = Activity.Current; // the job span outlives this call: never leave it (or its end) as the caller's current
        try
        {
            if (job.State == JobState.Preparing && !spans.ContainsKey(job.Id))
            {
                var span = FineTuneTelemetry.Source.StartActivity("job", ActivityKind.Internal, default(ActivityContext),
                    [new(FineTuneTelemetry.JobId, job.Id), new("finetune.world_size", job.Workers.Count), new("finetune.workers", string.Join(",", job.Workers))]);
                if (span is not null) spans[job.Id] = span;
            }
            else if (job.IsTerminal && spans.TryRemove(job.Id, out var span))
            {
                span.SetTag("finetune.job.state_name", job.State.Name());
                if (job.State == JobState.Failed) span.SetStatus(ActivityStatusCode.Error, job.Error);
                span.Stop();
            }
        }
        finally
        {
            Activity.Current = current;
        }
    }
}
