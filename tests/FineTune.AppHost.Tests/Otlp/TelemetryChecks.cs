using System.Globalization;
using System.Text.RegularExpressions;

namespace FineTune.AppHost.Tests.Otlp;

/// <summary>What the demo job's record says, to check its telemetry against.</summary>
public sealed record DemoJob(string Id, IReadOnlyList<string> Workers, int GlobalStep, int Epochs, int Restarts, double EvalAccuracy);

/// <summary>
/// The demo job's telemetry as the services exported it (decoded OTLP), checked against docs/telemetry.md "Telemetry
/// names" and the job's record. Each check returns its problems (empty when all holds), so a test can wait for late
/// exports and then fail with the whole list.
/// </summary>
public static class TelemetryChecks
{
    const string JobId = "finetune.job.id", Rank = "finetune.rank", Worker = "finetune.worker";
    const string Coordinator = "coordinator";
    const int BatchSize = 8; // the demo job's --batch-size (the default)

    /// <summary>The span names of a job's trace (docs/telemetry.md): nothing else belongs in it.</summary>
    static readonly Regex TreeName = new(@"^(job|prepare|tokenize|shard|rank \d+( started)?|epoch( \d+ started)?|step|allreduce|evaluation|checkpoint)$");

    /// <summary>The workers' transfer calls, left out of the traces on both sides (ServiceDefaults' UntracedCalls).</summary>
    public static readonly string[] UntracedTransfers = ["FetchBlob", "FetchShard", "UploadResult"];

    /// <summary>The step span's timings (seconds).</summary>
    public static readonly string[] StepTimings = ["finetune.step.data_wait", "finetune.step.forward", "finetune.step.backward", "finetune.step.allreduce", "finetune.step.optimizer"];

    /// <summary>Recorded by every rank's TelemetryObserver, tagged with the job id, rank and worker.</summary>
    public static readonly string[] PerRankMetrics =
    [
        "finetune.train.loss", "finetune.train.learning_rate", "finetune.train.grad_norm", "finetune.train.samples", "finetune.train.tokens",
        "finetune.train.step.duration", "finetune.train.data_wait.duration", "finetune.train.forward.duration", "finetune.train.backward.duration",
        "finetune.train.allreduce.duration", "finetune.train.optimizer.duration", "finetune.allreduce.bytes", "finetune.eval.accuracy",
    ];

    public static List<string> Metrics(IReadOnlyList<MetricPoint> all, DemoJob job)
    {
        var problems = new List<string>();
        var points = all.Where(p => p.Name.StartsWith("finetune.", StringComparison.Ordinal) && p.Attributes.GetValueOrDefault(JobId) == job.Id).ToList();
        var rankOf = new Dictionary<string, string>();
        foreach (var w in job.Workers)
        {
            var mine = points.Where(p => p.Service == w).ToList();
            if (mine.FirstOrDefault(p => p.Attributes.GetValueOrDefault(Worker) != w) is { } stray)
                problems.Add($"{w} exported {stray.Name} tagged {Worker}={stray.Attributes.GetValueOrDefault(Worker) ?? "(none)"}");
            var ranks = mine.Select(p => p.Attributes.GetValueOrDefault(Rank) ?? "(none)").Distinct().ToList();
            if (ranks.Count == 1) rankOf[w] = ranks[0];
            else problems.Add($"{w}: its data points carry {Rank} [{string.Join(", ", ranks)}], expected its one rank");
            problems.AddRange(PerRankMetrics.Where(m => !mine.Any(p => p.Name == m)).Select(m => $"metric {m}: no data point from {w} (service.name and {Worker})"));

            // The values are the job's: every step's samples, every step timed, the last evaluation's accuracy.
            if (Total(mine, "finetune.train.samples", p => p.Value) is double samples && samples != job.GlobalStep * BatchSize)
                problems.Add($"{w}: finetune.train.samples {samples}, expected {job.GlobalStep} steps x {BatchSize} (the default data: 800 train sentences, 16 a step)");
            if (Total(mine, "finetune.train.step.duration", p => p.Count) is double steps && steps != job.GlobalStep)
                problems.Add($"{w}: finetune.train.step.duration counted {steps} steps, the job made {job.GlobalStep}");
            if (Last(mine, "finetune.eval.accuracy") is { } accuracy && Math.Abs(accuracy.Value - job.EvalAccuracy) > 1e-9)
                problems.Add($"{w}: last finetune.eval.accuracy {accuracy.Value}, the job's eval_accuracy is {job.EvalAccuracy}");
        }
        var expectedRanks = Enumerable.Range(0, job.Workers.Count).Select(r => r.ToString(CultureInfo.InvariantCulture));
        if (rankOf.Count == job.Workers.Count && !rankOf.Values.Order().SequenceEqual(expectedRanks))
            problems.Add($"the workers' ranks are [{string.Join(", ", rankOf.Select(kv => $"{kv.Key}: {kv.Value}"))}], expected 0..{job.Workers.Count - 1}");
        // Only rank 0 writes checkpoints.
        if (rankOf.FirstOrDefault(kv => kv.Value == "0").Key is string rank0 && !points.Any(p => p.Service == rank0 && p.Name == "finetune.checkpoint.duration"))
            problems.Add($"metric finetune.checkpoint.duration: no data point from rank 0 ({rank0})");
        var state = Last(points.Where(p => p.Service == Coordinator).ToList(), "finetune.job.state");
        if (state is null) problems.Add($"metric finetune.job.state: no data point from the {Coordinator} for the job");
        else if (state.Value != 4 || state.Attributes.GetValueOrDefault("finetune.job.state_name") != "succeeded")
            problems.Add($"metric finetune.job.state: last value {state.Value} ({state.Attributes.GetValueOrDefault("finetune.job.state_name")}), expected 4 (succeeded)");
        return problems;
    }

    public static List<string> Spans(IReadOnlyList<SpanRecord> all, DemoJob job)
    {
        var problems = new List<string>();
        var spans = all.Where(s => s.Attributes.GetValueOrDefault(JobId) == job.Id).ToList();
        var roots = spans.Where(s => s.Name == "job").ToList();
        if (roots is not [var root]) return [$"expected one \"job\" span tagged with the job id, found {roots.Count} (of {all.Count} spans)"];
        if (root.Service != Coordinator || root.ParentSpanId != "") problems.Add($"the job span comes from {root.Service} with parent '{root.ParentSpanId}': expected a root span of the {Coordinator}");

        // One trace: every span of the job shares the job span's trace id, and its parent chain leads up to the job span.
        foreach (var g in spans.GroupBy(s => s.TraceId).Where(g => g.Key != root.TraceId))
            problems.Add($"{g.Count()} span(s) of the job ({string.Join(", ", g.Select(s => s.Name).Distinct())}) are in trace {g.Key}, not the job's {root.TraceId}");
        var byId = spans.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        // Only the tree's spans in the job's trace (the transfer calls' client and server spans carry no job id: found
        // by trace id), and no transfer call traced anywhere, on either side.
        foreach (var s in all.Where(s => s.TraceId == root.TraceId && !TreeName.IsMatch(s.Name)).Take(5))
            problems.Add($"span '{s.Name}' ({s.Service}{Url(s)}) in the job's trace is not a span of the job's tree");
        foreach (var s in all.Where(s => UntracedTransfers.Any(t => s.Name.Contains(t, StringComparison.Ordinal) || Url(s).Contains(t, StringComparison.Ordinal))).Take(5))
            problems.Add($"span '{s.Name}' ({s.Service}{Url(s)}) is a transfer call: not traced");
        foreach (var s in spans.Where(s => s != root && !LeadsTo(s, root, byId)).Take(5))
            problems.Add($"span {s.Name} ({s.Service}) has parent '{s.ParentSpanId}': its chain does not reach the job span");

        List<SpanRecord> Children(IEnumerable<SpanRecord> parents, string name)
        {
            var ids = parents.Select(p => p.SpanId).ToHashSet();
            return [.. spans.Where(s => s.Name == name && ids.Contains(s.ParentSpanId))];
        }
        void Expect(int count, List<SpanRecord> found, string what)
        {
            if (found.Count != count) problems.Add($"{what}: {found.Count} span(s), expected {count}");
        }

        var prepare = Children([root], "prepare");
        Expect(1, prepare, "job -> prepare");
        Expect(1, Children(prepare, "tokenize"), "prepare -> tokenize");
        Expect(1, Children(prepare, "shard"), "prepare -> shard");

        var rankSpans = spans.Where(s => s.ParentSpanId == root.SpanId && s.Name.StartsWith("rank ", StringComparison.Ordinal)).ToList();
        Expect(job.Workers.Count, rankSpans, "job -> rank R");
        foreach (var w in job.Workers)
        {
            var mine = rankSpans.Where(s => s.Service == w).ToList();
            if (mine is not [var rank])
            {
                problems.Add($"{w}: {mine.Count} rank span(s) under the job span, expected 1");
                continue;
            }
            var r = rank.Attributes.GetValueOrDefault(Rank);
            if (rank.Name != $"rank {r}" || rank.Attributes.GetValueOrDefault(Worker) != w) problems.Add($"{w}: span '{rank.Name}' tagged {Rank}={r}, {Worker}={rank.Attributes.GetValueOrDefault(Worker)}");
            Expect(1, Children([rank], $"rank {r} started"), $"{rank.Name} -> rank {r} started");
            var epochs = Children([rank], "epoch");
            Expect(job.Epochs, epochs, $"{rank.Name} -> epoch");
            var numbers = epochs.Select(e => e.Attributes.GetValueOrDefault("finetune.epoch")).Order().ToList();
            if (!numbers.SequenceEqual(Enumerable.Range(1, job.Epochs).Select(e => e.ToString(CultureInfo.InvariantCulture))))
                problems.Add($"{rank.Name}: epoch spans numbered [{string.Join(", ", numbers)}], expected 1..{job.Epochs}");
            foreach (var epoch in epochs)
            {
                var e = epoch.Attributes.GetValueOrDefault("finetune.epoch");
                Expect(1, Children([epoch], $"epoch {e} started"), $"{rank.Name} -> epoch {e} -> epoch {e} started");
                var steps = Children([epoch], "step");
                if (steps.Count == 0) problems.Add($"{rank.Name} -> epoch {epoch.Attributes.GetValueOrDefault("finetune.epoch")}: no step span");
                if (steps.FirstOrDefault(s => s.Attributes.GetValueOrDefault(Rank) != r) is { } other) problems.Add($"{rank.Name}: a step span tagged {Rank}={other.Attributes.GetValueOrDefault(Rank)}");
                foreach (var step in steps)
                {
                    Expect(1, Children([step], "allreduce"), $"{rank.Name} -> step {step.Attributes.GetValueOrDefault("finetune.step")} -> allreduce");
                    if (StepTimings.FirstOrDefault(t => !step.Attributes.ContainsKey(t)) is { } missing)
                        problems.Add($"{rank.Name}: step {step.Attributes.GetValueOrDefault("finetune.step")} has no {missing}");
                }
            }
            Expect(job.Epochs, Children(epochs, "evaluation"), $"{rank.Name} -> epoch -> evaluation (sharded: every rank evaluates)");
            Expect(r == "0" ? job.Epochs : 0, Children(epochs, "checkpoint"), $"{rank.Name} -> epoch -> checkpoint (rank 0 saves)");
        }
        return problems;
    }

    public static List<string> Logs(IReadOnlyList<LogRecordData> all, DemoJob job)
    {
        var problems = new List<string>();
        var ranks = new List<string>();
        foreach (var w in job.Workers)
        {
            // No log template names JobId or Worker: they come only from the run's log scope, which carries the rank too.
            var scoped = all.Where(l => l.Service == w && l.Attributes.GetValueOrDefault("JobId") == job.Id).ToList();
            if (scoped.Count == 0)
            {
                problems.Add($"{w}: no log record with the attribute JobId={job.Id}");
                continue;
            }
            if (scoped.FirstOrDefault(l => l.Attributes.GetValueOrDefault("Worker") != w) is { } stray)
                problems.Add($"{w}: log record \"{stray.Body}\" has Worker={stray.Attributes.GetValueOrDefault("Worker") ?? "(none)"}");
            var rank = scoped.Select(l => l.Attributes.GetValueOrDefault("Rank") ?? "(none)").Distinct().ToList();
            if (rank.Count == 1) ranks.Add(rank[0]);
            else problems.Add($"{w}: its job's log records carry Rank [{string.Join(", ", rank)}], expected its one rank");
        }
        if (ranks.Count == job.Workers.Count && !ranks.Order().SequenceEqual(Enumerable.Range(0, job.Workers.Count).Select(r => r.ToString(CultureInfo.InvariantCulture))))
            problems.Add($"the workers' log records carry ranks [{string.Join(", ", ranks)}], expected 0..{job.Workers.Count - 1}");
        if (!all.Any(l => l.Service == Coordinator && l.Attributes.GetValueOrDefault("JobId") == job.Id))
            problems.Add($"{Coordinator}: no log record with the attribute JobId={job.Id} (the prepare scope)");
        return problems;
    }

    static string Url(SpanRecord s) => (s.Attributes.GetValueOrDefault("url.path") ?? s.Attributes.GetValueOrDefault("url.full")) is { } url ? $", {url}" : "";

    static bool LeadsTo(SpanRecord span, SpanRecord root, Dictionary<string, SpanRecord> byId)
    {
        for (int depth = 0; depth < 16 && span.ParentSpanId != ""; depth++)
        {
            if (span.ParentSpanId == root.SpanId) return true;
            if (!byId.TryGetValue(span.ParentSpanId, out var parent)) return false;
            span = parent;
        }
        return false;
    }

    /// <summary>A sum's or histogram's total over the run: the last point when cumulative, else the sum of the deltas; null when none.</summary>
    static double? Total(List<MetricPoint> points, string name, Func<MetricPoint, double> value)
    {
        var mine = points.Where(p => p.Name == name).ToList();
        if (mine.Count == 0) return null;
        return mine[0].Cumulative ? value(mine.MaxBy(p => p.TimeUnixNano)!) : mine.Sum(value);
    }

    static MetricPoint? Last(List<MetricPoint> points, string name) => points.Where(p => p.Name == name).MaxBy(p => p.TimeUnixNano);
}
