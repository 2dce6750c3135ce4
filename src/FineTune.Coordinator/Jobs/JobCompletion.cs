using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Contracts.V1;
using FineTune.Core.Checkpointing;
using FineTune.Core.Reporting;
using FineTune.Core.Training;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// Collects every rank's end-of-job report (one instance for the process: gRPC services are created per call),
/// checks that all ranks ended with the same parameters, and writes the job's results and report. What it collects is
/// per job and generation, and dropped as soon as that generation ends (a recovery, or the job's end).
/// </summary>
public sealed class JobCompletion
{
    readonly JobStore jobs;
    readonly JobLifecycle lifecycle;
    readonly ILogger<JobCompletion> log;
    readonly JobPushes? pushes;

    // Guarded by the store's lock (JobStore.Read; the lock is reentrant): the generation check, the bookkeeping and the
    // StateChanged handler that drops a generation's entries (called under that lock) are never interleaved.
    readonly Dictionary<string, HashSet<int>> finishedRanks = [];
    readonly Dictionary<string, List<string>> checksums = [];
    readonly Dictionary<(string Job, int Step), Dictionary<int, string>> stepChecksums = [];

    public JobCompletion(JobStore jobs, JobLifecycle lifecycle, ILogger<JobCompletion> log, JobPushes? pushes = null)
    {
        (this.jobs, this.lifecycle, this.log, this.pushes) = (jobs, lifecycle, log, pushes);
        // A generation ends when its job leaves running (recovering, or any end): what its ranks sent is of no use now.
        jobs.StateChanged += (job, before) =>
        {
            if (before == JobState.Running) Forget(job.Id);
        };
    }

    /// <summary>How many entries are held (tests: none once every generation ended).</summary>
    public int Pending => jobs.Read(() => finishedRanks.Count + checksums.Count + stepChecksums.Count);

    void Forget(string jobId) => jobs.Read(() =>
    {
        var prefix = jobId + "/";
        foreach (var k in finishedRanks.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList()) finishedRanks.Remove(k);
        foreach (var k in checksums.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList()) checksums.Remove(k);
        foreach (var k in stepChecksums.Keys.Where(k => k.Job.StartsWith(prefix, StringComparison.Ordinal)).ToList()) stepChecksums.Remove(k);
        return 0;
    });

    /// <summary>After an evaluation every rank sends a checksum of its parameters; any disagreement fails the job at once.</summary>
    public void OnChecksum(JobRecord job, long generation, int rank, ParameterChecksum checksum)
    {
        var complete = jobs.Read(() =>
        {
            if (!job.RunsGeneration(generation)) return null;
            var key = ($"{job.Id}/{generation}", checksum.Step); // a recovered group repeats steps: never mix generations
            if (!stepChecksums.TryGetValue(key, out var byRank)) stepChecksums[key] = byRank = [];
            byRank[rank] = checksum.Sha256;
            if (byRank.Count < job.Workers.Count) return null;
            stepChecksums.Remove(key);
            return byRank;
        });
        if (complete is null || complete.Values.Distinct().Count() == 1) return;
        var detail = string.Join(", ", complete.OrderBy(kv => kv.Key).Select(kv => $"rank {kv.Key} {kv.Value[..12]}"));
        log.LogError("job {Job}: parameters differ across ranks at step {Step}: {Detail}", job.Id, checksum.Step, detail);
        lifecycle.Fail(job, $"the ranks' parameters differ after the evaluation at step {checksum.Step} ({detail}): data parallelism broke");
    }

    public void OnFinished(JobRecord job, WorkerReport report)
    {
        var f = report.Finished;
        if (report.Rank == 0)
        {
            // Rank 0 uploaded trainer_state.json and the final evaluation into the output folder before this report;
            // recorded before rank 0 counts as finished, so the last rank to finish always sees the final metrics.
            var evalPath = Path.Combine(job.OutputDir, EvalResult.FinalFile);
            var eval = File.Exists(evalPath) ? JsonSerializer.Deserialize<EvalResult>(File.ReadAllText(evalPath)) : LegacyEval(f);
            if (!lifecycle.OnFinished(job, report.Generation, f.GlobalStep, j =>
            {
                j.FinalEval = eval;
                j.Metrics = j.IsEvaluation ? JobJson.Metrics(JobJson.EvalMetrics(f.Epoch, eval), [], restarts: j.Restarts)
                    : JobJson.Metrics(JobJson.TrainMetrics(f.Epoch, f.TrainLoss, f.TrainRuntime, f.SamplesSeen, f.GlobalStep), JobJson.EvalMetrics(f.Epoch, eval), restarts: j.Restarts);
            })) return; // the group was fenced off meanwhile
            Directory.CreateDirectory(job.OutputDir);
        }
        var key = $"{job.Id}/{report.Generation}";
        var sums = jobs.Read(() =>
        {
            if (!job.RunsGeneration(report.Generation)) return null;
            if (!finishedRanks.TryGetValue(key, out var ranks)) finishedRanks[key] = ranks = [];
            if (!checksums.TryGetValue(key, out var all)) checksums[key] = all = [];
            if (ranks.Add(report.Rank)) all.Add(f.ParameterChecksum);
            return ranks.Count == job.Workers.Count ? all.ToList() : null;
        });
        if (sums is null) return;
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

    /// <summary>The commits the job's hub ids named, into the output folder's trainer_state.json (as `finetune train` writes them).</summary>
    static void RecordHubSources(string stateFile, JsonObject hub)
    {
        if (!File.Exists(stateFile)) return;
        var state = TrainerState.Load(stateFile);
        state.Extra["hub"] = hub.DeepClone();
        state.Save(stateFile);
    }

    void Complete(JobRecord job)
    {
        if (job.IsEvaluation)
        {
            // Its result is final_eval.json in the output folder and the metrics: no model, card or train results to write.
            if (lifecycle.Succeed(job)) log.LogInformation("job {Job} (evaluation) succeeded: {Metrics}", job.Id, job.Metrics.ToJsonString());
            return;
        }
        var train = (JsonObject)job.Metrics.DeepClone();
        var evalKeys = train.Where(kv => kv.Key.StartsWith("eval_", StringComparison.Ordinal)).Select(kv => kv.Key).ToList();
        var eval = new JsonObject { ["epoch"] = train["epoch"]?.DeepClone() };
        foreach (var k in evalKeys) { eval[k] = train[k]!.DeepClone(); train.Remove(k); }
        train.Remove("restarts");
        var summary = new Dictionary<string, string>
        {
            ["model"] = job.Spec.Model,
            ["dataset"] = job.Spec.Dataset,
            ["labels"] = string.Join(", ", job.LabelNames),
            ["workers"] = string.Join(", ", job.Workers),
            ["steps"] = job.GlobalStep.ToString(),
        };
        var history = job.History.Select(LogEntry.FromJson).ToList();
        var card = new ModelCardFacts(job.Spec, (job.Spec.HubModelId ?? job.Id).Split('/')[^1], job.Workers.Count, history, eval, job.Hub);
        FineTuneJob.WriteResults(job.OutputDir, train, eval, history, job.FinalEval, summary, card);
        if (job.Hub is { Count: > 0 } hub) RecordHubSources(Path.Combine(job.OutputDir, Checkpoints.StateFile), hub);
        if (!lifecycle.Succeed(job)) return;
        log.LogInformation("job {Job} succeeded: {Metrics}", job.Id, job.Metrics.ToJsonString());
        if (job.Spec.PushToHub) pushes?.PushOutput(job); // in the background: a failed push never fails the job
    }

}
