using System.Globalization;

namespace FineTune.AppHost.Tests.Otlp;

/// <summary>
/// The telemetry checks on made-up exports (no app): a complete set passes, and each defect the old byte search could
/// not see (a worker with no data points, a span in another trace, a broken parent link, an unscoped log) is reported.
/// </summary>
public class TelemetryChecksTests
{
    static readonly DemoJob Job = new("job-1", ["worker-0", "worker-1"], GlobalStep: 6, Epochs: 3, Restarts: 0, EvalAccuracy: 0.9);
    const string Trace = "aaaa";

    static Dictionary<string, string> Tags(string worker, int rank, params (string, string)[] more)
    {
        var tags = new Dictionary<string, string> { ["finetune.job.id"] = Job.Id, ["finetune.rank"] = $"{rank}", ["finetune.worker"] = worker };
        foreach (var (k, v) in more) tags[k] = v;
        return tags;
    }

    static List<MetricPoint> Metrics()
    {
        var points = new List<MetricPoint>();
        for (int rank = 0; rank < 2; rank++)
        {
            var w = $"worker-{rank}";
            foreach (var name in TelemetryChecks.PerRankMetrics)
            {
                double value = name switch { "finetune.train.samples" => Job.GlobalStep * 8, "finetune.eval.accuracy" => Job.EvalAccuracy, _ => 1 };
                points.Add(new(w, name, Tags(w, rank), value, name == "finetune.train.step.duration" ? (ulong)Job.GlobalStep : 0, true, 10));
            }
            if (rank == 0) points.Add(new(w, "finetune.checkpoint.duration", Tags(w, 0), 0.5, 3, true, 10));
        }
        points.Add(new("coordinator", "finetune.job.state", new Dictionary<string, string> { ["finetune.job.id"] = Job.Id, ["finetune.job.state_name"] = "succeeded" }, 4, 0, false, 10));
        return points;
    }

    static List<SpanRecord> Spans()
    {
        int next = 0;
        var spans = new List<SpanRecord>();
        SpanRecord Add(string service, string name, SpanRecord? parent, Dictionary<string, string>? tags = null)
        {
            var s = new SpanRecord(service, name, Trace, $"s{next++}", parent?.SpanId ?? "", tags ?? new() { ["finetune.job.id"] = Job.Id });
            spans.Add(s);
            return s;
        }
        var job = Add("coordinator", "job", null);
        var prepare = Add("coordinator", "prepare", job);
        Add("coordinator", "tokenize", prepare);
        Add("coordinator", "shard", prepare);
        for (int rank = 0; rank < 2; rank++)
        {
            var w = $"worker-{rank}";
            var r = Add(w, $"rank {rank}", job, Tags(w, rank));
            Add(w, $"rank {rank} started", r, Tags(w, rank));
            for (int e = 1; e <= Job.Epochs; e++)
            {
                var number = ("finetune.epoch", e.ToString(CultureInfo.InvariantCulture));
                var epoch = Add(w, "epoch", r, Tags(w, rank, number));
                Add(w, $"epoch {e} started", epoch, Tags(w, rank, number));
                var step = Add(w, "step", epoch, Tags(w, rank, [("finetune.step", $"{2 * e}"), .. TelemetryChecks.StepTimings.Select(t => (t, "0.1"))]));
                Add(w, "allreduce", step, Tags(w, rank));
                Add(w, "evaluation", epoch, Tags(w, rank));
                if (rank == 0) Add(w, "checkpoint", epoch, Tags(w, rank));
            }
        }
        return spans;
    }

    static List<LogRecordData> Logs() =>
    [
        new("coordinator", "job-1: tokenized", new Dictionary<string, string> { ["JobId"] = Job.Id }),
        new("worker-0", "rank 0: ring of 2 formed", new Dictionary<string, string> { ["JobId"] = Job.Id, ["Rank"] = "0", ["Worker"] = "worker-0" }),
        new("worker-1", "rank 1: ring of 2 formed", new Dictionary<string, string> { ["JobId"] = Job.Id, ["Rank"] = "1", ["Worker"] = "worker-1" }),
    ];

    [Fact]
    public void A_complete_export_passes()
    {
        Assert.Empty(TelemetryChecks.Metrics(Metrics(), Job));
        Assert.Empty(TelemetryChecks.Spans(Spans(), Job));
        Assert.Empty(TelemetryChecks.Logs(Logs(), Job));
    }

    [Fact]
    public void A_worker_whose_metric_is_missing_or_mistagged_is_reported()
    {
        var points = Metrics().Where(p => !(p.Service == "worker-1" && p.Name == "finetune.train.loss")).ToList();
        Assert.Contains("metric finetune.train.loss: no data point from worker-1 (service.name and finetune.worker)", TelemetryChecks.Metrics(points, Job));
        // worker-1 in the service name only: its data points tagged as worker-0's.
        var mistagged = Metrics().Select(p => p.Service == "worker-1" ? p with { Attributes = Tags("worker-0", 1) } : p).ToList();
        Assert.Contains(TelemetryChecks.Metrics(mistagged, Job), p => p.StartsWith("worker-1 exported", StringComparison.Ordinal));
        var shortCount = Metrics().Select(p => p.Name == "finetune.train.samples" && p.Service == "worker-0" ? p with { Value = 40 } : p).ToList();
        Assert.Contains(TelemetryChecks.Metrics(shortCount, Job), p => p.StartsWith("worker-0: finetune.train.samples 40", StringComparison.Ordinal));
    }

    [Fact]
    public void A_span_in_another_trace_or_with_a_broken_parent_chain_is_reported()
    {
        var otherTrace = Spans().Select(s => s.Name == "epoch" && s.Service == "worker-1" ? s with { TraceId = "bbbb" } : s).ToList();
        Assert.Contains(TelemetryChecks.Spans(otherTrace, Job), p => p.Contains("are in trace bbbb", StringComparison.Ordinal));
        var orphan = Spans().Select(s => s.Name == "rank 1" ? s with { ParentSpanId = "" } : s).ToList();
        var problems = TelemetryChecks.Spans(orphan, Job);
        Assert.Contains(problems, p => p.StartsWith("span rank 1 (worker-1) has parent ''", StringComparison.Ordinal));
        Assert.Contains("job -> rank R: 1 span(s), expected 2", problems);
        var flat = Spans().Select(s => s.Name == "step" ? s with { ParentSpanId = "s0" } : s).ToList(); // steps under the job span
        Assert.Contains(TelemetryChecks.Spans(flat, Job), p => p.EndsWith(": no step span", StringComparison.Ordinal));
    }

    [Fact]
    public void A_transfer_call_in_the_trace_or_a_missing_started_mark_is_reported()
    {
        var spans = Spans();
        var epoch = spans.First(s => s.Name == "epoch" && s.Service == "worker-1");
        // HttpClient's span: named by the method, its path in url.full, no job id; and the coordinator's server span.
        spans.Add(new("worker-1", "POST", Trace, "c1", epoch.SpanId, new Dictionary<string, string> { ["url.full"] = "http://coordinator/finetune.v1.Cluster/FetchShard" }));
        spans.Add(new("coordinator", "POST /finetune.v1.Cluster/FetchBlob", "cccc", "c2", "", new Dictionary<string, string>()));
        var problems = TelemetryChecks.Spans(spans, Job);
        Assert.Contains("span 'POST' (worker-1, http://coordinator/finetune.v1.Cluster/FetchShard) in the job's trace is not a span of the job's tree", problems);
        Assert.Contains(problems, p => p.StartsWith("span 'POST /finetune.v1.Cluster/FetchBlob' (coordinator) is a transfer call", StringComparison.Ordinal));
        Assert.Equal(3, problems.Count); // the client span is both

        var unmarked = Spans().Where(s => !(s.Service == "worker-0" && s.Name is "rank 0 started" or "epoch 2 started")).ToList();
        problems = TelemetryChecks.Spans(unmarked, Job);
        Assert.Contains("rank 0 -> rank 0 started: 0 span(s), expected 1", problems);
        Assert.Contains("rank 0 -> epoch 2 -> epoch 2 started: 0 span(s), expected 1", problems);
        var untimed = Spans().Select(s => s.Name == "step" ? s with { Attributes = Tags(s.Service, s.Service == "worker-0" ? 0 : 1, ("finetune.step", "2")) } : s).ToList();
        Assert.Contains(TelemetryChecks.Spans(untimed, Job), p => p.EndsWith("step 2 has no finetune.step.data_wait", StringComparison.Ordinal));
    }

    [Fact]
    public void A_log_without_the_run_scope_is_reported()
    {
        var unscoped = Logs().Select(l => l.Service == "worker-1" ? l with { Attributes = new Dictionary<string, string> { ["Rank"] = "1" } } : l).ToList();
        Assert.Contains($"worker-1: no log record with the attribute JobId={Job.Id}", TelemetryChecks.Logs(unscoped, Job));
        var wrongWorker = Logs().Select(l => l.Service == "worker-1" ? l with { Attributes = new Dictionary<string, string> { ["JobId"] = Job.Id, ["Rank"] = "1" } } : l).ToList();
        Assert.Contains(TelemetryChecks.Logs(wrongWorker, Job), p => p.Contains("has Worker=(none)", StringComparison.Ordinal));
    }
}
