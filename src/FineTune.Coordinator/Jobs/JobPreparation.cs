using FineTune.Contracts.V1;
using FineTune.Core.Arguments;
using FineTune.Core.Checkpointing;
using FineTune.Core.Data;
using FineTune.Core.Sharding;

namespace FineTune.Coordinator.Jobs;

/// <summary>A group ready to run: what the coordinator serves it (shards) and what each rank is told (assignments).</summary>
public sealed record PreparedGroup(PreparedJob Shards, IReadOnlyList<Assignment> Assignments, IReadOnlyList<string> LabelNames, string? ResumedFrom)
{
    public long Generation => Shards.Generation;
}

/// <summary>Prepares a job's group: data, blobs and per-rank assignments. A fake stands in for it in scheduler tests.</summary>
public interface IJobPreparation
{
    /// <summary>Blocking (tokenizing takes seconds to minutes): the scheduler runs it off its loop.</summary>
    PreparedGroup Prepare(JobRecord job, IReadOnlyList<WorkerInfo> group, long generation, bool resume);
}

/// <summary>
/// Tokenizes the job's data (or finds it in the tokenization cache), stores the model files, the checkpoint to resume
/// from and each rank's eval shard as blobs, keeps the training set to serve each rank its shard per epoch
/// (FetchShard), and writes each rank's assignment: its rank, the ring's rendezvous and token, the blobs to fetch.
/// </summary>
public sealed class JobPreparation(JobStore jobs, BlobStore blobs, TokenizationCache tokenized, CoordinatorOptions options,
    ILogger<JobPreparation> log, JobTelemetry? telemetry = null) : IJobPreparation
{
    public PreparedGroup Prepare(JobRecord job, IReadOnlyList<WorkerInfo> group, long generation, bool resume)
    {
        var jobSpan = telemetry?.SpanOf(job);
        using var prepare = JobTelemetry.StartPhase("prepare", jobSpan, job);
        try
        {
            var tokenize = JobTelemetry.StartPhase("tokenize", prepare, job);
            var args = job.LocalSpec(options.Hub is { } hub ? new Core.Hub.HubCache(hub.CacheRoot) : null); // hub ids: their snapshots
            var folder = JobSpec.CheckModel(args);
            if (job.IsEvaluation) return Evaluation(job, group[0], generation, args, folder, jobSpan?.Id);
            var data = tokenized.Get(args, folder);
            var (train, eval) = (data.Train, data.Eval);
            tokenize?.SetTag("finetune.train.examples", train.Count).SetTag("finetune.train.tokens", train.TotalTokens).SetTag("finetune.tokenized.cached", data.Cached).Dispose();
            using var shard = JobTelemetry.StartPhase("shard", prepare, job);
            var message = $"tokenized {train.Count} train and {eval.Count} eval examples, {train.TotalTokens} tokens{(data.Cached ? " (cached)" : $" in {data.Seconds:F1} s, {(train.TotalTokens + eval.TotalTokens) / Math.Max(data.Seconds, 1e-9) / 1e6:F1} M tokens/s read and tokenized")}; labels {string.Join(", ", data.LabelNames)}";
            log.LogInformation("job {Job}: {Message} [{Key}]", job.Id, message, data.Key[..12]);
            jobs.Publish(job, new JobEvent { JobId = job.Id, Message = message });

            var template = new Assignment
            {
                JobId = job.Id,
                Generation = generation,
                WorldSize = group.Count,
                TrainExamples = train.Count,
                EvalExamples = eval.Count,
                CollectiveTimeoutMs = (int)options.CollectiveTimeout.TotalMilliseconds,
                RingToken = Contracts.Secrets.NewToken(), // fresh per job and generation; only in memory and in the assignments
                TraceParent = jobSpan?.Id ?? "",
            };
            template.RingEndpoints.AddRange(group.Select(w => w.RingEndpoint));
            foreach (var (key, value) in ArgumentTable.Canonical(job.Spec)) template.Options[key] = value; // the whole spec: every option, as the table writes it
            template.LabelNames.AddRange(data.LabelNames);
            template.ModelFiles.AddRange(FolderBlobs(folder));
            var checkpoint = resume ? LatestCheckpoint(job) : null;
            if (checkpoint is not null)
            {
                template.ResumeCheckpoint = Path.GetFileName(checkpoint);
                template.ResumeFiles.AddRange(FolderBlobs(checkpoint));
            }
            if (resume) jobs.Publish(job, new JobEvent { JobId = job.Id, Message = $"recovering with {group.Count} worker(s) from {(checkpoint is null ? "the start (no checkpoint yet)" : Path.GetFileName(checkpoint))}" });
            var assignments = Enumerable.Range(0, group.Count).Select(rank =>
            {
                var a = template.Clone();
                a.Rank = rank;
                a.EvalData = Blob($"eval-rank-{rank}.tokens", Serialize(eval.Select(ShardPlan.EvalShard(eval.Count, rank, group.Count))));
                return a;
            }).ToList();
            // The epoch order stays the one the job started with (group_by_length groups by the first global batch size).
            int firstWorldSize = job.Recoveries.Count > 0 ? job.Recoveries[0].FromWorldSize : group.Count;
            var shards = new PreparedJob(job.Id, generation, group.Select(w => w.Name).ToList(), train, args, args.PerDeviceTrainBatchSize * firstWorldSize);
            return new PreparedGroup(shards, assignments, data.LabelNames.ToList(), checkpoint is null ? null : Path.GetFileName(checkpoint));
        }
        catch (Exception e)
        {
            prepare?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, Core.ErrorText.FirstLine(e.Message));
            throw;
        }
    }

    /// <summary>
    /// An evaluation-only job (kind evaluate): its one rank gets the model and the labelled folder (the spec's dataset)
    /// as files and reads, tokenizes and scores it itself, as `finetune evaluate` does. Nothing is sharded or served.
    /// </summary>
    PreparedGroup Evaluation(JobRecord job, WorkerInfo worker, long generation, TrainingArguments args, string model, string? traceParent)
    {
        var a = new Assignment
        {
            JobId = job.Id,
            Generation = generation,
            Rank = 0,
            WorldSize = 1,
            EvaluateOnly = true,
            CollectiveTimeoutMs = (int)options.CollectiveTimeout.TotalMilliseconds,
            RingToken = Contracts.Secrets.NewToken(),
            TraceParent = traceParent ?? "",
        };
        a.RingEndpoints.Add(worker.RingEndpoint);
        foreach (var (key, value) in ArgumentTable.Canonical(job.Spec)) a.Options[key] = value;
        a.ModelFiles.AddRange(FolderBlobs(model));
        a.EvalFiles.AddRange(FolderBlobs(args.Dataset));
        var labels = Core.Modeling.ModelFactory.ReadConfig(Path.Combine(model, "config.json")).Id2Label;
        a.LabelNames.AddRange(labels);
        var shards = new PreparedJob(job.Id, generation, [worker.Name], TokenizedDataset.Empty, args, args.PerDeviceTrainBatchSize);
        return new PreparedGroup(shards, [a], [.. labels], null);
    }

    IEnumerable<Blob> FolderBlobs(string folder) =>
        Contracts.Transfers.FolderFiles.List(folder).Select(file =>
        {
            var (sha, size) = blobs.Put(file.Path);
            return new Blob { Name = file.Name, Sha256 = sha, Size = size };
        });

    /// <summary>The newest complete checkpoint the coordinator holds for the job, if any.</summary>
    string? LatestCheckpoint(JobRecord job) => Checkpoints.List(options.CheckpointsDir(job.Id)) is [.., var last] ? last.Path : null;

    Blob Blob(string name, byte[] bytes)
    {
        var (sha, size) = blobs.Put(bytes);
        return new Blob { Name = name, Sha256 = sha, Size = size };
    }

    static byte[] Serialize(TokenizedDataset data)
    {
        using var stream = new MemoryStream();
        data.Write(stream);
        return stream.ToArray();
    }
}
