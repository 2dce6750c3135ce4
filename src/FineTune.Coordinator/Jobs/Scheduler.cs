using FineTune.Contracts.V1;
using FineTune.Core;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Training;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// Starts queued jobs when enough workers are ready: tokenizes the data (or finds it in the tokenization cache), stores
/// the model files and each rank's eval shard as blobs, keeps the training set to serve each rank its shard per epoch
/// (FetchShard), assigns ranks and the ring's rendezvous, and hands each worker its assignment on its next heartbeat.
/// Recovers running jobs that lose a worker (no heartbeat for the timeout) or whose rank fails with a fault
/// (OnRankFailed): the old group is fenced off by a new generation and stopped, and a new group of ready workers resumes
/// from the job's last checkpoint, at the same world size when enough workers are ready, else with as few as
/// --min-workers.
/// </summary>
public sealed class Scheduler(JobStore jobs, WorkerRegistry workers, BlobStore blobs, TokenizationCache tokenized, PreparedJobs prepared,
    CoordinatorOptions options, ILogger<Scheduler> log, JobTelemetry? telemetry = null) : BackgroundService
{
    readonly Lock gate = new();

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
        foreach (var id in prepared.Ids)
            if (jobs.Find(id) is not { IsTerminal: false }) prepared.Remove(id); // no more shards for an ended job
        foreach (var job in jobs.All().Where(j => j.State == "running"))
        {
            var lost = job.Workers.Where(name => workers.FindByName(name) is not { } w || !workers.IsAlive(w)).ToList();
            if (lost.Count > 0) Recover(job, $"lost {string.Join(", ", lost)} (no heartbeat for {options.HeartbeatTimeout.TotalSeconds:0.#} s)");
        }
        foreach (var job in jobs.All().Where(j => j.State == "recovering")) Regroup(job);

        var next = jobs.All().FirstOrDefault(j => j.State == "queued");
        if (next is null) return;
        var ready = workers.Ready();
        int needed = next.RequestedWorkers > 0 ? next.RequestedWorkers : Math.Max(1, ready.Count);
        if (ready.Count < needed) return;
        Start(next, ready.Take(needed).ToList(), resume: false);
    }

    void Start(JobRecord job, List<WorkerInfo> chosen, bool resume)
    {
        foreach (var w in chosen) w.JobId = job.Id; // reserved while preparing
        jobs.Update(job, j => { j.State = "preparing"; j.Workers = chosen.Select(w => w.Name).ToList(); });
        _ = Task.Run(() => Prepare(job, chosen, resume));
    }

    /// <summary>
    /// The job's group is broken (a lost worker, a failed collective, a coordinator restart): fence it off with a new
    /// generation (its reports and uploads are refused from now on), tell its workers to stop, and wait for a new group.
    /// </summary>
    public void Recover(JobRecord job, string reason) => Recover(job, reason, null);

    /// <summary>
    /// A rank of the job's current generation failed. A fault recovers the job like a lost worker, within the restart
    /// limit; invalid input fails it, and so does the same error recurring at the same step after a recovery (a
    /// deterministic failure: failing at once beats burning every restart on it). Reports of an older generation, or
    /// after the first failure of this one, change nothing.
    /// </summary>
    public void OnRankFailed(JobRecord job, long generation, RankFailure failure)
    {
        lock (gate)
        {
            if (job.Generation != generation || job.State is not ("running" or "preparing")) return; // moved on already
            if (!failure.Recoverable)
                Fail(job, failure.Reason);
            else if (failure.Recurs(job.Recoveries) is { } earlier)
                Fail(job, $"{failure.Reason} (again at step {failure.Step}, as before recovery {job.Recoveries.IndexOf(earlier) + 1}: a deterministic failure, not retried)");
            else
                Recover(job, failure.Reason, failure);
        }
    }

    void Recover(JobRecord job, string reason, RankFailure? failure)
    {
        lock (gate)
        {
            if (job.State is not ("running" or "preparing")) return; // already recovering, or over
            if (job.Restarts >= options.MaxRestarts)
            {
                Fail(job, $"{reason}; gave up after {job.Restarts} recoveries");
                return;
            }
            log.LogWarning("job {Job} recovering: {Reason}", job.Id, reason);
            jobs.Update(job, j =>
            {
                j.State = "recovering";
                j.Generation++;
                j.Recoveries.Add(new Recovery
                {
                    Reason = reason,
                    AtStep = j.GlobalStep,
                    FromWorldSize = j.Workers.Count,
                    StartedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                    Failure = failure is { GroupFailure: false } ? ErrorText.FirstLine(failure.Error) : null,
                    FailedStep = failure is { GroupFailure: false } ? failure.Step : null,
                });
            });
            Release(job);
        }
    }

    /// <summary>
    /// A recovering job restarts as soon as its full world size is ready; after a short grace for the survivors to let go
    /// of the old group, with as many as are ready if --min-workers allows; after the recovery wait it fails.
    /// </summary>
    void Regroup(JobRecord job)
    {
        var recovery = job.Recoveries[^1];
        var waited = DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(recovery.StartedUnixMs);
        var ready = workers.Ready();
        int want = job.RequestedWorkers, min = job.MinWorkers > 0 ? job.MinWorkers : want;
        int take = ready.Count >= want ? want : ready.Count >= min && waited >= options.RecoveryGrace ? ready.Count : 0;
        if (take > 0)
        {
            recovery.ToWorldSize = take;
            Start(job, ready.Take(take).ToList(), resume: true);
        }
        else if (waited >= options.RecoveryWait)
            Fail(job, $"{recovery.Reason}; no group to recover with: {ready.Count} ready worker(s) after {options.RecoveryWait.TotalSeconds:0} s, the job needs at least {min} (--min-workers)");
    }

    void Prepare(JobRecord job, IReadOnlyList<WorkerInfo> chosen, bool resume)
    {
        using var scope = log.BeginScope(new Dictionary<string, object> { ["JobId"] = job.Id });
        var jobSpan = telemetry?.SpanOf(job);
        using var prepare = JobTelemetry.StartPhase("prepare", jobSpan, job);
        try
        {
            var tokenize = JobTelemetry.StartPhase("tokenize", prepare, job);
            var args = JobSpec.Parse(job.Options, options);
            var folder = JobSpec.CheckModel(args);
            var data = tokenized.Get(args, folder);
            var (train, eval) = (data.Train, data.Eval);
            tokenize?.SetTag("finetune.train.examples", train.Count).SetTag("finetune.train.tokens", train.TotalTokens).SetTag("finetune.tokenized.cached", data.Cached).Dispose();
            using var shard = JobTelemetry.StartPhase("shard", prepare, job);
            var message = $"tokenized {train.Count} train and {eval.Count} eval examples, {train.TotalTokens} tokens{(data.Cached ? " (cached)" : "")}; labels {string.Join(", ", data.LabelNames)}";
            log.LogInformation("job {Job}: {Message} [{Key}]", job.Id, message, data.Key[..12]);
            jobs.Publish(job, new JobEvent { JobId = job.Id, Message = message });

            var generation = job.Generation + 1;
            var template = new Assignment
            {
                JobId = job.Id,
                Generation = generation,
                WorldSize = chosen.Count,
                TrainExamples = train.Count,
                EvalExamples = eval.Count,
                CollectiveTimeoutMs = (int)options.CollectiveTimeout.TotalMilliseconds,
                RingToken = Contracts.Secrets.NewToken(), // fresh per job and generation; only in memory and in the assignments
                TraceParent = jobSpan?.Id ?? "",
            };
            template.RingEndpoints.AddRange(chosen.Select(w => w.RingEndpoint));
            template.Options.Add(job.Options);
            template.LabelNames.AddRange(data.LabelNames);
            template.ModelFiles.AddRange(FolderBlobs(folder));
            var checkpoint = resume ? LatestCheckpoint(job) : null;
            if (checkpoint is not null)
            {
                template.ResumeCheckpoint = Path.GetFileName(checkpoint);
                template.ResumeFiles.AddRange(FolderBlobs(checkpoint));
            }
            var evalShards = Enumerable.Range(0, chosen.Count)
                .Select(rank => Blob($"eval-rank-{rank}.tokens", Serialize(eval.Select(ShardPlan.EvalShard(eval.Count, rank, chosen.Count))))).ToList();
            // The epoch order stays the one the job started with (group_by_length groups by the first global batch size).
            int firstWorldSize = job.Recoveries.Count > 0 ? job.Recoveries[0].FromWorldSize : chosen.Count;
            if (resume) jobs.Publish(job, new JobEvent { JobId = job.Id, Message = $"recovering with {chosen.Count} worker(s) from {(checkpoint is null ? "the start (no checkpoint yet)" : Path.GetFileName(checkpoint))}" });
            lock (gate)
            {
                if (job.State != "preparing") return; // cancelled or failed meanwhile
                prepared.Set(new PreparedJob(job.Id, generation, chosen.Select(w => w.Name).ToList(), train, args, args.PerDeviceTrainBatchSize * firstWorldSize));
                jobs.Update(job, j =>
                {
                    j.Generation = generation;
                    j.LabelNames = data.LabelNames.ToList();
                    j.State = "running";
                    if (resume) j.Recoveries[^1].ResumedFrom = checkpoint is null ? null : Path.GetFileName(checkpoint);
                });
                for (int rank = 0; rank < chosen.Count; rank++)
                {
                    var a = template.Clone();
                    a.Rank = rank;
                    a.EvalData = evalShards[rank];
                    chosen[rank].PendingAssignment = a;
                }
            }
            log.LogInformation("job {Job} running on {Workers}", job.Id, string.Join(", ", job.Workers));
        }
        catch (Exception e)
        {
            log.LogWarning(e, "job {Job} failed while preparing", job.Id);
            prepare?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ErrorText.FirstLine(e.Message));
            Fail(job, Faults.IsInvalidInput(e) ? e.Message : ErrorText.Summary(e)); // our own messages name the field; anything else in one line
        }
    }

    IEnumerable<Contracts.V1.Blob> FolderBlobs(string folder) =>
        Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).Select(file =>
        {
            var (sha, size) = blobs.Put(file);
            return new Contracts.V1.Blob { Name = Path.GetFileName(file), Sha256 = sha, Size = size };
        });

    /// <summary>The newest complete checkpoint the coordinator holds for the job, if any.</summary>
    string? LatestCheckpoint(JobRecord job) => Checkpoints.List(options.CheckpointsDir(job.Id)) is [.., var last] ? last.Path : null;

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
        lock (gate)
        {
            if (job.IsTerminal) return;
            jobs.Update(job, j => { j.State = state; j.Error = state == "failed" ? error : null; });
            prepared.Remove(job.Id);
            Release(job);
        }
    }

    /// <summary>The job's workers stop what they run for it (on their next heartbeat) and become ready again.</summary>
    void Release(JobRecord job)
    {
        foreach (var w in workers.OfJob(job.Id))
        {
            w.CancelRequested = w.PendingAssignment is null;
            w.PendingAssignment = null;
            w.JobId = null;
        }
    }
}
