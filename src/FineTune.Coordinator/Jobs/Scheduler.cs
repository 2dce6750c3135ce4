using FineTune.Contracts.V1;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Tokenization;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// Starts queued jobs when enough workers are ready: tokenizes the data once, stores the model files and the tokenized
/// sets as blobs, assigns ranks and the ring's rendezvous, and hands each worker its assignment on its next heartbeat.
/// Also notices lost workers (no heartbeat for the timeout) and fails their job loudly (recovery comes later).
/// </summary>
public sealed class Scheduler(JobStore jobs, WorkerRegistry workers, BlobStore blobs, CoordinatorOptions options, ILogger<Scheduler> log, JobTelemetry? telemetry = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                Tick();
            }
            catch (Exception e)
            {
                log.LogError(e, "scheduler tick failed");
            }
            await Task.Delay(250, stop).ContinueWith(_ => { });
        }
    }

    void Tick()
    {
        foreach (var job in jobs.All().Where(j => j.State == "running"))
        {
            var lost = job.Workers.Select(workers.FindByName).Where(w => w is null || !workers.IsAlive(w)).ToList();
            if (lost.Count > 0) Fail(job, "a worker of the job stopped responding (no heartbeat within the timeout)");
        }
        var next = jobs.All().FirstOrDefault(j => j.State == "queued");
        if (next is null) return;
        var ready = workers.Ready();
        int needed = next.RequestedWorkers > 0 ? next.RequestedWorkers : Math.Max(1, ready.Count);
        if (ready.Count < needed) return;
        var chosen = ready.Take(needed).ToList();
        foreach (var w in chosen) w.JobId = next.Id; // reserved while preparing
        jobs.Update(next, j => { j.State = "preparing"; j.Workers = chosen.Select(w => w.Name).ToList(); });
        _ = Task.Run(() => Prepare(next, chosen));
    }

    void Prepare(JobRecord job, IReadOnlyList<WorkerInfo> chosen)
    {
        using var scope = log.BeginScope(new Dictionary<string, object> { ["JobId"] = job.Id });
        var jobSpan = telemetry?.SpanOf(job);
        using var prepare = JobTelemetry.StartPhase("prepare", jobSpan, job);
        try
        {
            var tokenize = JobTelemetry.StartPhase("tokenize", prepare, job);
            var args = JobSpec.Parse(job.Options, options);
            var data = JobSpec.Validate(args);
            var folder = ModelFolder.Resolve(args.Model);
            var tokenizer = BertTokenizer.FromFolder(folder);
            var train = TokenizedDataset.Build(data.Train, tokenizer, args.MaxLength);
            var eval = TokenizedDataset.Build(data.Eval, tokenizer, args.MaxLength);
            tokenize?.SetTag("finetune.train.examples", train.Count).SetTag("finetune.train.tokens", train.TotalTokens).Dispose();
            using var shard = JobTelemetry.StartPhase("shard", prepare, job);
            jobs.Publish(job, new JobEvent { JobId = job.Id, Message = $"tokenized {train.Count} train and {eval.Count} eval examples ({train.TotalTokens} tokens); labels {string.Join(", ", data.LabelNames)}" });

            var generation = job.Generation + 1;
            var template = new Assignment
            {
                JobId = job.Id,
                Generation = generation,
                WorldSize = chosen.Count,
                TrainData = Blob("train.tokens", Serialize(train)),
                EvalData = Blob("eval.tokens", Serialize(eval)),
                CollectiveTimeoutMs = (int)options.CollectiveTimeout.TotalMilliseconds,
                TraceParent = jobSpan?.Id ?? "",
            };
            template.RingEndpoints.AddRange(chosen.Select(w => w.RingEndpoint));
            template.Options.Add(job.Options);
            template.LabelNames.AddRange(data.LabelNames);
            foreach (var file in Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')))
            {
                var (sha, size) = blobs.Put(file);
                template.ModelFiles.Add(new Contracts.V1.Blob { Name = Path.GetFileName(file), Sha256 = sha, Size = size });
            }
            jobs.Update(job, j => { j.Generation = generation; j.LabelNames = data.LabelNames.ToList(); j.State = "running"; });
            for (int rank = 0; rank < chosen.Count; rank++)
            {
                var a = template.Clone();
                a.Rank = rank;
                chosen[rank].PendingAssignment = a;
            }
            log.LogInformation("job {Job} running on {Workers}", job.Id, string.Join(", ", job.Workers));
        }
        catch (Exception e)
        {
            log.LogWarning(e, "job {Job} failed while preparing", job.Id);
            prepare?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
            Fail(job, e.Message);
        }
    }

    Contracts.V1.Blob Blob(string name, byte[] bytes)
    {
        var (sha, size) = blobs.Put(bytes);
        return new Contracts.V1.Blob { Name = name, Sha256 = sha, Size = size };
    }

    static byte[] Serialize(TokenizedDataset data)
    {
        using var stream = new MemoryStream();
        data.Write(stream);
        return stream.ToArray();
    }

    /// <summary>Ends a job with an error and releases its workers (they stop on their next heartbeat).</summary>
    public void Fail(JobRecord job, string error, string state = "failed")
    {
        if (job.IsTerminal) return;
        jobs.Update(job, j => { j.State = state; j.Error = state == "failed" ? error : null; });
        foreach (var w in workers.OfJob(job.Id))
        {
            w.CancelRequested = w.PendingAssignment is null;
            w.PendingAssignment = null;
            w.JobId = null;
        }
    }
}
