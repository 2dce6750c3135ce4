using System.Diagnostics;
using System.Text.Json;
using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Core;
using FineTune.Core.Arguments;
using FineTune.Core.Checkpointing;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Reporting;
using FineTune.Core.Telemetry;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;
using static TorchSharp.torch;

namespace FineTune.Worker;

/// <summary>
/// One rank of one job: fetch the model files and this rank's eval shard (cached by SHA-256), join the ring, run the same
/// Trainer as `finetune train` on this rank's training shards (streamed per epoch from the coordinator), report
/// progress; rank 0 uploads each checkpoint (in the background) and the final model. After a recovery the assignment
/// names a checkpoint to resume from. Preempted (SIGTERM), the rank finishes its step and the group stops together
/// (<see cref="PreemptionVote"/>): rank 0 saves and uploads a checkpoint there and tells the coordinator.
/// </summary>
public sealed class JobRun
{
    readonly Assignment a;
    readonly Cluster.ClusterClient client;
    readonly string workerId;
    readonly WorkerOptions options;
    readonly ILogger log;
    readonly CancellationTokenSource cancel = new();
    readonly CheckpointUploads uploads;
    readonly BlobCache blobs;
    readonly CoordinatorLink link;
    volatile ICollective? collective;
    volatile int step; // the global step this rank has completed (the resumed checkpoint's before the first step)
    readonly Lock gate = new();
    bool training, leaving; // under gate: the Trainer runs; this worker is shutting down

    JobRun(Assignment a, Cluster.ClusterClient client, string workerId, WorkerOptions options, ILogger log)
    {
        this.a = a;
        this.client = client;
        this.workerId = workerId;
        this.options = options;
        this.log = log;
        link = new CoordinatorLink(client, a, workerId, log, Cancel);
        uploads = new CheckpointUploads(link, log);
        blobs = new BlobCache(client, workerId, options.DataDir);
    }

    public string JobId => a.JobId;
    public long Generation => a.Generation;
    public bool Done { get; private set; }

    public static JobRun Start(Assignment a, Cluster.ClusterClient client, string workerId, WorkerOptions options, ILogger log)
    {
        var run = new JobRun(a, client, workerId, options, log);
        var thread = new Thread(run.Run) { IsBackground = true, Name = $"job {a.JobId} rank {a.Rank}" }; // TorchSharp work off the thread pool
        thread.Start();
        return run;
    }

    /// <summary>Stops the run: at the next step, or at once when it waits in a collective (the group is aborted).</summary>
    public void Cancel()
    {
        cancel.Cancel();
        collective?.Abort();
    }

    /// <summary>
    /// This worker is shutting down (SIGTERM). Training: the group stops after the step in progress, rank 0 saving a
    /// checkpoint there. Not training yet (fetching, forming the ring): the run stops at once and reports a
    /// recoverable failure, so the job regroups from its last checkpoint without waiting for the heartbeat timeout.
    /// </summary>
    public void Preempt()
    {
        bool early;
        lock (gate)
        {
            leaving = true;
            early = !training;
        }
        log.LogWarning("job {Job} rank {Rank}: shutting down (preempted): {What}", a.JobId, a.Rank, early ? "stopping before training" : "stopping the group after this step");
        if (early) Cancel();
    }

    bool Leaving()
    {
        lock (gate) return leaving;
    }

    void Run()
    {
        // Every log line of this run carries the job, rank and worker; the rank's span joins the coordinator's job trace.
        using var scope = log.BeginScope(new Dictionary<string, object> { ["JobId"] = a.JobId, ["Rank"] = a.Rank, ["Worker"] = options.Name });
        ActivityContext.TryParse(a.TraceParent, null, out var jobContext);
        using var span = FineTuneTelemetry.Source.StartActivity($"rank {a.Rank}", ActivityKind.Internal, jobContext,
            [new(FineTuneTelemetry.JobId, a.JobId), new(FineTuneTelemetry.Rank, a.Rank), new(FineTuneTelemetry.Worker, options.Name), new("finetune.world_size", a.WorldSize)]);
        if (span is not null) FineTuneTelemetry.Mark($"rank {a.Rank} started", "finetune.generation", a.Generation);
        ICollective? group = null; // closed only after a failure is reported, so the peers' broken collectives come second
        step = Checkpoints.StepOf(a.ResumeCheckpoint) ?? 0;
        try
        {
            var folder = blobs.ModelFolder(a.ModelFiles, cancel.Token);
            // The job's spec as the coordinator bound it (every option, canonical text), plus what only this rank knows.
            var spec = ArgumentTable.Bind(a.Options);
            var args = spec with
            {
                OutputDir = Path.Combine(options.DataDir, "jobs", a.JobId, $"rank-{a.Rank}"),
                ResumeFromCheckpoint = a.ResumeCheckpoint.Length > 0 ? blobs.Folder(a.ResumeFiles, Path.Combine(options.DataDir, "jobs", a.JobId, "resume", a.ResumeCheckpoint), cancel.Token) : null,
                Threads = spec.Threads ?? options.Threads, // the job's threads when it sets them, else this worker's --threads
            };
            set_num_threads(args.Threads.Value);
            var device = DeviceChoice.Resolve(options.Device, args.Device); // refused (invalid input: the job fails) if this worker cannot
            if (a.EvaluateOnly)
            {
                Evaluate(folder, args, device);
                return;
            }

            var tokenizer = BertTokenizer.FromFolder(folder);
            var (model, _) = PretrainedModel.Load(folder, a.LabelNames.ToList(), args.Seed); // same seed: the same fresh head on every rank
            using var shards = new RemoteShards(client, a, workerId, args, a.EvalExamples > 0 ? ReadTokens(blobs.Fetch(a.EvalData, cancel.Token)) : null, log,
                Path.Combine(options.DataDir, "jobs", a.JobId, "shards"));
            if (a.ResumeCheckpoint.Length == 0) shards.Prefetch(0); // while the ring forms
            group = CollectiveFactory.CreateAsync(args.Collective, device, new RingOptions
            {
                Rank = a.Rank,
                Endpoints = a.RingEndpoints.ToList(),
                Group = $"{a.JobId}/gen-{a.Generation}",
                Token = a.RingToken,
                Timeout = TimeSpan.FromMilliseconds(a.CollectiveTimeoutMs > 0 ? a.CollectiveTimeoutMs : 30_000),
                // Peers reach the rendezvous after fetching the model and checkpoint (a new spare fetches it all): give
                // them time. A peer that died meanwhile is noticed by the coordinator's heartbeat, which cancels this.
                RendezvousTimeout = TimeSpan.FromMinutes(10),
            }, () => RingCollective.Listen(options.RingListen), cancel.Token).GetAwaiter().GetResult(); // bound here: the advertised endpoint may be another address
            collective = group;
            if (cancel.IsCancellationRequested) return;
            lock (gate) training = !leaving; // from here a preemption waits for the step's end
            if (!training) return;
            log.LogInformation("rank {Rank}: ring of {World} formed ({Links}); training on {Device}{Resume}", a.Rank, a.WorldSize,
                group is RingCollective ring ? ring.Links : group.GetType().Name, device, args.ResumeFromCheckpoint is null ? "" : $" from {a.ResumeCheckpoint}");
            long gradientBytes = (model.parameters().Sum(p => p.numel()) + 1) * sizeof(float); // FlatGradients: the parameters and the loss slot
            var telemetry = new TelemetryObserver(a.JobId, a.Rank, options.Name, a.WorldSize, gradientBytes);
            using var vote = new PreemptionVote(group, device, Leaving);
            var observer = InjectedDelay.Wrap(InjectedFault.Wrap(new ObserverGroup(new RankReporter(link, model, uploads, s => step = s), telemetry, vote, new StepTimingLog(log, a.Rank)), log), log); // test-only hooks, off unless their variables are set
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token, vote.Token);
            var outcome = new Trainer(args, model, tokenizer, shards, group, observer, device).Train(stopping.Token);
            uploads.Drain(); // every checkpoint is with the coordinator before the job can end
            if (outcome.Interrupted && vote.Ranks.Count > 0 && !cancel.IsCancellationRequested)
            {
                Preempted(outcome.GlobalStep, vote.Ranks);
                return;
            }
            if (outcome.Interrupted)
            {
                log.LogInformation("job {Job} cancelled at step {Step}", a.JobId, outcome.GlobalStep);
                return;
            }
            var finished = new Finished
            {
                GlobalStep = outcome.GlobalStep,
                Epoch = outcome.Epoch,
                TrainLoss = outcome.TrainLoss,
                TrainRuntime = outcome.TrainRuntime,
                SamplesSeen = outcome.SamplesSeen * a.WorldSize,
                ParameterChecksum = RankReporter.Checksum(model),
            };
            if (a.Rank == 0)
            {
                // The model, trainer_state.json and the final evaluation go to the job's output folder as files.
                var final = Path.Combine(args.OutputDir, "final");
                ModelFolder.Save(model, tokenizer, final);
                outcome.State.Save(Path.Combine(final, Checkpoints.StateFile));
                var evalPath = Path.Combine(final, EvalResult.FinalFile);
                if (outcome.FinalEval is not null) AtomicFile.WriteAllText(evalPath, JsonSerializer.Serialize(outcome.FinalEval));
                else File.Delete(evalPath); // an earlier generation's
                link.UploadFolder(final);
            }
            link.Send(new WorkerReport { Finished = finished });
            log.LogInformation("job {Job} rank {Rank} finished: step {Step}", a.JobId, a.Rank, outcome.GlobalStep);
        }
        catch (Exception e) when (!cancel.IsCancellationRequested)
        {
            ReportFailure(e, span);
        }
        catch (Exception e)
        {
            log.LogInformation("job {Job} stopped: {Message}", a.JobId, e.Message);
        }
        finally
        {
            if (Leaving() && !training) ReportLeftEarly(span);
            collective = null;
            group?.Dispose();
            uploads.Dispose();
            Done = true;
        }
    }

    /// <summary>
    /// An evaluation-only task (one rank, no ring): the model scored on the labelled folder as `finetune evaluate` scores
    /// it; the result goes to the job's output folder as final_eval.json, then Finished. A cancel stops it between
    /// batches; a preemption lets it end.
    /// </summary>
    void Evaluate(string model, TrainingArguments args, Device device)
    {
        var data = blobs.Folder(a.EvalFiles, Path.Combine(options.DataDir, "jobs", a.JobId, "eval-data"), cancel.Token);
        lock (gate) training = !leaving;
        if (!training || cancel.IsCancellationRequested) return;
        var clock = Stopwatch.StartNew();
        using var classifier = Core.Inference.TextClassifier.Load(model, device, args.Seed);
        var result = Core.Inference.DatasetEvaluation.Evaluate(classifier, data, args.ToDatasetOptions() with { Dataset = data },
            args.PerDeviceEvalBatchSize, args.MaxLength, cancel.Token);
        var final = Path.Combine(args.OutputDir ?? throw new InvalidOperationException("no output folder"), "final");
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true); // an earlier generation's
        Directory.CreateDirectory(final);
        AtomicFile.WriteAllText(Path.Combine(final, EvalResult.FinalFile), JsonSerializer.Serialize(result));
        link.UploadFolder(final);
        link.Send(new WorkerReport { Finished = new Finished { TrainRuntime = clock.Elapsed.TotalSeconds } });
        log.LogInformation("job {Job}: evaluated {Samples} examples in {Seconds:F1} s: accuracy {Accuracy:F4}", a.JobId, result.Samples, clock.Elapsed.TotalSeconds, result.Accuracy);
    }

    /// <summary>The group stopped for a preemption after <paramref name="at"/>: rank 0 has sent the checkpoint it saved there and says so.</summary>
    void Preempted(int at, IReadOnlyList<int> ranks)
    {
        log.LogInformation("job {Job} rank {Rank}: the group stopped after step {Step}: rank(s) {Ranks} shutting down", a.JobId, a.Rank, at, string.Join(", ", ranks));
        if (a.Rank != 0) return;
        var sent = uploads.LastSent == Checkpoints.Prefix + at ? uploads.LastSent : "";
        var report = new Preempted { Step = at, Checkpoint = sent };
        report.Ranks.AddRange(ranks);
        link.Send(new WorkerReport { Preempted = report });
    }

    /// <summary>Preempted before its first step: a recoverable failure of the group, so the job regroups at once.</summary>
    void ReportLeftEarly(Activity? span)
    {
        span?.SetStatus(ActivityStatusCode.Error, "preempted");
        try { link.Send(new WorkerReport { Failed = $"preempted: {options.Name} is shutting down before training began", Recoverable = true, FailedStep = step, GroupFailure = true }); }
        catch (Exception) { /* the coordinator will notice by itself */ }
    }

    /// <summary>
    /// A fault (anything but invalid input) lets the job recover from its last checkpoint; invalid input fails it. The
    /// coordinator gets one line (type and first line of the message) and the step; the whole exception, native stack
    /// trace included, goes to this worker's log with the job, rank and worker in scope.
    /// </summary>
    void ReportFailure(Exception e, Activity? span)
    {
        bool invalidInput = Faults.IsInvalidInput(e), group = Faults.Unwrap(e) is CollectiveException;
        var summary = ErrorText.Summary(e);
        log.LogError(e, "job {Job} failed on rank {Rank} at step {Step} ({Kind})", a.JobId, a.Rank, step,
            invalidInput ? "invalid input: the job fails" : group ? "the group broke: recoverable" : "a fault: recoverable");
        span?.SetStatus(ActivityStatusCode.Error, summary);
        try { link.Send(new WorkerReport { Failed = summary, Recoverable = !invalidInput, FailedStep = step, GroupFailure = group }); }
        catch (Exception) { /* the coordinator will notice by itself */ }
    }

    static TokenizedDataset ReadTokens(string path)
    {
        using var stream = File.OpenRead(path);
        return TokenizedDataset.Read(stream);
    }
}
