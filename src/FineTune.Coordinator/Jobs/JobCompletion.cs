using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Contracts.V1;
using FineTune.Core.Reporting;
using FineTune.Core.Training;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// Collects every rank's end-of-job report (one instance for the process: gRPC services are created per call),
/// checks that all ranks ended with the same parameters, and writes the job's results and report.
/// </summary>
public sealed class JobCompletion(JobStore jobs, JobLifecycle lifecycle, ILogger<JobCompletion> log)
{
    readonly Dictionary<string, HashSet<int>> finishedRanks = [];
    readonly Dictionary<string, List<string>> checksums = [];
    readonly Dictionary<(string Job, int Step), Dictionary<int, string>> stepChecksums = [];
    readonly Lock gate = new();

    /// <summary>After an evaluation every rank sends a checksum of its parameters; any disagreement fails the job at once.</summary>
    public void OnChecksum(JobRecord job, int rank, ParameterChecksum checksum)
    {
        Dictionary<int, string>? complete = null;
        lock (gate)
        {
            var key = ($"{job.Id}/{job.Generation}", checksum.Step); // a recovered group repeats steps: never mix generations
            if (!stepChecksums.TryGetValue(key, out var byRank)) stepChecksums[key] = byRank = [];
            byRank[rank] = checksum.Sha256;
            if (byRank.Count == job.Workers.Count)
            {
                complete = byRank;
                stepChecksums.Remove(key);
            }
        }
        if (complete is null || complete.Values.Distinct().Count() == 1) return;
        var detail = string.Join(", ", complete.OrderBy(kv => kv.Key).Select(kv => $"rank {kv.Key} {kv.Value[..12]}"));
        log.LogError("job {Job}: parameters differ across ranks at step {Step}: {Detail}", job.Id, checksum.Step, detail);
        lifecycle.Fail(job, $"the ranks' parameters differ after the evaluation at step {checksum.Step} ({detail}): data parallelism broke");
    }

    public void OnFinished(JobRecord job, WorkerReport report)
    {
        var f = report.Finished;
        bool all;
        var key = $"{job.Id}/{report.Generation}";
        List<string> sums;
        lock (gate)
        {
            if (!finishedRanks.TryGetValue(key, out var ranks)) finishedRanks[key] = ranks = [];
            ranks.Add(report.Rank);
            if (!checksums.TryGetValue(key, out sums!)) checksums[key] = sums = [];
            sums.Add(f.ParameterChecksum);
            all = ranks.Count == job.Workers.Count;
        }
        if (report.Rank == 0)
        {
            // Rank 0 uploaded trainer_state.json and the final evaluation into the output folder before this report.
            var evalPath = Path.Combine(job.OutputDir, EvalResult.FinalFile);
            var eval = File.Exists(evalPath) ? JsonSerializer.Deserialize<EvalResult>(File.ReadAllText(evalPath)) : LegacyEval(f);
            jobs.Update(job, j =>
            {
                j.FinalEval = eval;
                j.GlobalStep = f.GlobalStep;
                j.Metrics = JobJson.Metrics(JobJson.TrainMetrics(f.Epoch, f.TrainLoss, f.TrainRuntime, f.SamplesSeen, f.GlobalStep), JobJson.EvalMetrics(f.Epoch, eval), restarts: j.Restarts);
            });
            Directory.CreateDirectory(job.OutputDir);
        }
        if (!all) return;
        if (sums.Distinct().Count() > 1)
        {
            lifecycle.Fail(job, $"the ranks' parameters differ at the end (checksums {string.Join(", ", sums.Select(c => c[..12]))}): data parallelism broke");
            return;
        }
        Complete(job);
    }

    // A worker from before results travelled as files sends the final evaluation inside Finished.
#pragma warning disable CS0612 // the deprecated field, read only for such workers
    static EvalResult? LegacyEval(Finished f) => string.IsNullOrEmpty(f.FinalEvalJson) ? null : JsonSerializer.Deserialize<EvalResult>(f.FinalEvalJson);
#pragma warning restore CS0612

    void Complete(JobRecord job)
    {
        var train = (JsonObject)job.Metrics.DeepClone();
        var evalKeys = train.Where(kv => kv.Key.StartsWith("eval_", StringComparison.Ordinal)).Select(kv => kv.Key).ToList();
        var eval = new JsonObject { ["epoch"] = train["epoch"]?.DeepClone() };
        foreach (var k in evalKeys) { eval[k] = train[k]!.DeepClone(); train.Remove(k); }
        train.Remove("restarts");
        var summary = new Dictionary<string, string>
        {
            ["model"] = job.Options.GetValueOrDefault("model", "default"),
            ["dataset"] = job.Options.GetValueOrDefault("dataset", "default"),
            ["labels"] = string.Join(", ", job.LabelNames),
            ["workers"] = string.Join(", ", job.Workers),
            ["steps"] = job.GlobalStep.ToString(),
        };
        FineTuneJob.WriteResults(job.OutputDir, train, eval, job.History.Select(LogEntry.FromJson).ToList(), job.FinalEval, summary);
        if (lifecycle.Succeed(job)) log.LogInformation("job {Job} succeeded: {Metrics}", job.Id, job.Metrics.ToJsonString());
    }

}
