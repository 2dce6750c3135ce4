using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Telemetry;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;
using static TorchSharp.torch;

namespace FineTune.Worker;

/// <summary>
/// One rank of one job: fetch the model files and tokenized data (cached by SHA-256), join the ring, run the same
/// Trainer as `finetune train` with this rank's shard, report progress; rank 0 uploads the final model.
/// </summary>
public sealed class JobRun
{
    readonly Assignment a;
    readonly Cluster.ClusterClient client;
    readonly string workerId;
    readonly WorkerOptions options;
    readonly ILogger log;
    readonly CancellationTokenSource cancel = new();

    JobRun(Assignment a, Cluster.ClusterClient client, string workerId, WorkerOptions options, ILogger log)
    {
        this.a = a;
        this.client = client;
        this.workerId = workerId;
        this.options = options;
        this.log = log;
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

    public void Cancel() => cancel.Cancel();

    void Run()
    {
        // Every log line of this run carries the job, rank and worker; the rank's span joins the coordinator's job trace.
        using var scope = log.BeginScope(new Dictionary<string, object> { ["JobId"] = a.JobId, ["Rank"] = a.Rank, ["Worker"] = options.Name });
        ActivityContext.TryParse(a.TraceParent, null, out var jobContext);
        using var span = FineTuneTelemetry.Source.StartActivity($"rank {a.Rank}", ActivityKind.Internal, jobContext,
            [new(FineTuneTelemetry.JobId, a.JobId), new(FineTuneTelemetry.Rank, a.Rank), new(FineTuneTelemetry.Worker, options.Name), new("finetune.world_size", a.WorldSize)]);
        try
        {
            var folder = ModelFolderFromBlobs();
            var args = new TrainingArguments();
            foreach (var (key, value) in a.Options) ArgumentTable.Apply(args, key, value, key);
            args.OutputDir = Path.Combine(options.DataDir, "jobs", a.JobId, $"rank-{a.Rank}");
            args.ResumeFromCheckpoint = null;
            args.Threads = options.Threads;
            set_num_threads(options.Threads);

            var tokenizer = BertTokenizer.FromFolder(folder);
            var (model, _) = PretrainedModel.Load(folder, a.LabelNames.ToList(), args.Seed); // same seed: the same fresh head on every rank
            var train = ReadTokens(a.TrainData);
            var eval = a.EvalData.Size > 0 ? ReadTokens(a.EvalData) : null;
            using var ring = RingCollective.Create(new RingOptions
            {
                Rank = a.Rank,
                Endpoints = a.RingEndpoints.ToList(),
                Token = $"{a.JobId}/gen-{a.Generation}",
                Timeout = TimeSpan.FromMilliseconds(a.CollectiveTimeoutMs > 0 ? a.CollectiveTimeoutMs : 30_000),
            });
            log.LogInformation("rank {Rank}: ring of {World} formed; training", a.Rank, a.WorldSize);
            long gradientBytes = (model.parameters().Sum(p => p.numel()) + 1) * sizeof(float); // FlatGradients: the parameters and the loss slot
            var telemetry = new TelemetryObserver(a.JobId, a.Rank, options.Name, a.WorldSize, gradientBytes);
            var outcome = new Trainer(args, model, tokenizer, train, eval, ring, new ObserverGroup(new Reporter(this, model), telemetry)).Train(cancel.Token);
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
                ParameterChecksum = Checksum(model),
            };
            if (a.Rank == 0)
            {
                var final = Path.Combine(args.OutputDir, "final");
                ModelFolder.Save(model, tokenizer, final);
                UploadFolder(final);
                finished.FinalEvalJson = outcome.FinalEval is null ? "" : JsonSerializer.Serialize(outcome.FinalEval);
                var statePath = Path.Combine(final, Checkpoints.StateFile);
                outcome.State.Save(statePath);
                finished.TrainerStateJson = File.ReadAllText(statePath);
            }
            Send(new WorkerReport { Finished = finished });
            log.LogInformation("job {Job} rank {Rank} finished: step {Step}", a.JobId, a.Rank, outcome.GlobalStep);
        }
        catch (Exception e) when (!cancel.IsCancellationRequested)
        {
            log.LogError(e, "job {Job} failed on rank {Rank}", a.JobId, a.Rank);
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            try { Send(new WorkerReport { Failed = $"{e.GetType().Name}: {e.Message}" }); } catch (Exception) { /* the coordinator will notice by itself */ }
        }
        catch (Exception e)
        {
            log.LogInformation("job {Job} stopped: {Message}", a.JobId, e.Message);
        }
        finally
        {
            Done = true;
        }
    }

    internal void Send(WorkerReport report)
    {
        report.WorkerId = workerId;
        report.JobId = a.JobId;
        report.Generation = a.Generation;
        report.Rank = a.Rank;
        client.Report(report);
    }

    internal int Rank => a.Rank;

    string ModelFolderFromBlobs()
    {
        // One folder per distinct set of model files, assembled from the blob cache.
        var key = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join(",", a.ModelFiles.Select(f => f.Name + "=" + f.Sha256)))))[..16];
        var folder = Path.Combine(options.DataDir, "models", key);
        if (File.Exists(Path.Combine(folder, ".complete"))) return folder;
        var temp = $"{folder}.tmp-{Guid.NewGuid():N}";
        Directory.CreateDirectory(temp);
        foreach (var f in a.ModelFiles) File.Copy(FetchBlob(f), Path.Combine(temp, Path.GetFileName(f.Name)));
        File.WriteAllText(Path.Combine(temp, ".complete"), "");
        if (Directory.Exists(folder)) Directory.Delete(folder, true);
        Directory.Move(temp, folder);
        return folder;
    }

    TokenizedDataset ReadTokens(Contracts.V1.Blob blob)
    {
        using var stream = File.OpenRead(FetchBlob(blob));
        return TokenizedDataset.Read(stream);
    }

    /// <summary>A blob from the local cache, or fetched from the coordinator and checked against its SHA-256.</summary>
    string FetchBlob(Contracts.V1.Blob blob)
    {
        var dir = Path.Combine(options.DataDir, "blobs");
        var path = Path.Combine(dir, blob.Sha256);
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(dir);
        var temp = $"{path}.tmp-{Guid.NewGuid():N}";
        using (var file = File.Create(temp))
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            using var call = client.FetchBlob(new FetchBlobRequest { Sha256 = blob.Sha256, WorkerId = workerId });
            while (call.ResponseStream.MoveNext(cancel.Token).GetAwaiter().GetResult())
            {
                var chunk = call.ResponseStream.Current;
                file.Write(chunk.Data.Span);
                hash.AppendData(chunk.Data.Span);
            }
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != blob.Sha256) throw new InvalidDataException($"blob {blob.Name}: checksum mismatch (expected {blob.Sha256}, got {actual})");
        }
        File.Move(temp, path, overwrite: true);
        return path;
    }

    void UploadFolder(string folder)
    {
        using var call = client.UploadResult();
        foreach (var file in Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')))
            foreach (var chunk in FileChunks.Read(file, Path.GetFileName(file)))
                call.RequestStream.WriteAsync(new ResultChunk { JobId = a.JobId, WorkerId = workerId, Chunk = chunk }).GetAwaiter().GetResult();
        call.RequestStream.CompleteAsync().GetAwaiter().GetResult();
        var ack = call.ResponseAsync.GetAwaiter().GetResult();
        if (!ack.Ok) throw new InvalidOperationException($"the coordinator refused the result: {ack.Message}");
    }

    /// <summary>SHA-256 of every parameter's bytes in order: equal on every rank when data parallelism holds.</summary>
    static string Checksum(SequenceClassifier model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in PretrainedModel.StateDict(model))
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Data.AsSpan()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Rank 0 tells the coordinator about steps and log entries (every rank has the same values).</summary>
    sealed class Reporter(JobRun run, SequenceClassifier model) : ITrainerObserver
    {
        // Every rank: the coordinator compares the ranks' parameters after each evaluation.
        public void OnEvaluate(int step, double epoch, EvalResult result) =>
            run.Send(new WorkerReport { Checksum = new ParameterChecksum { Step = step, Sha256 = Checksum(model) } });

        public void OnStep(StepInfo s)
        {
            if (run.Rank != 0) return;
            run.Send(new WorkerReport { Step = new StepEvent { Step = s.Step, MaxSteps = s.MaxSteps, Epoch = s.Epoch, Loss = s.Loss, LearningRate = s.LearningRate, SamplesPerSecond = s.Samples / Math.Max(s.Timings.Total, 1e-9) } });
        }

        public void OnLog(LogEntry e)
        {
            if (run.Rank != 0) return;
            var log = new LogEvent { Step = e.Step, Epoch = e.Epoch };
            foreach (var (k, v) in e.Values) log.Values[k] = v;
            run.Send(new WorkerReport { Log = log });
        }
    }
}
