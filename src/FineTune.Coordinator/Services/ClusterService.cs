using System.Security.Cryptography;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core.Training;
using Grpc.Core;

namespace FineTune.Coordinator.Services;

/// <summary>The cluster API: registration, heartbeats (carrying assignments), blobs, shards, checkpoints, and the workers' reports.</summary>
public sealed partial class ClusterService(JobStore jobs, WorkerRegistry workers, BlobStore blobs, PreparedJobs prepared, Scheduler scheduler, JobCompletion completion,
    JobCheckpoints checkpoints, CoordinatorOptions options, ILogger<ClusterService> log) : Cluster.ClusterBase
{
    public override Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || string.IsNullOrWhiteSpace(request.RingEndpoint))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "name and ring_endpoint are required"));
        if (request.Name.Length > 100 || request.RingEndpoint.Length > 300)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "name (at most 100 characters) or ring_endpoint (at most 300) too long"));
        if (Versions.Mismatch("worker", request.ProtocolVersion, request.ProductVersion) is { } mismatch)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, mismatch));
        var w = workers.Register(request);
        log.LogInformation("worker {Name} registered (ring {Endpoint}, {Device})", w.Name, w.RingEndpoint, w.Device);
        return Task.FromResult(new RegisterResponse { WorkerId = w.Id, HeartbeatIntervalMs = 500 });
    }

    public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context)
    {
        var w = workers.Find(request.WorkerId) ?? throw new RpcException(new Status(StatusCode.NotFound, $"unknown worker '{request.WorkerId}': register again"));
        w.LastSeen = DateTime.UtcNow;
        w.ReportedJob = request.JobId;
        var response = new HeartbeatResponse();
        // A worker still running a job it no longer belongs to (an old generation after a recovery, a job the
        // coordinator ended or forgot across a restart) is told to stop: it cannot rejoin the new group.
        bool stale = request.JobId.Length > 0 && (w.JobId != request.JobId || jobs.Find(request.JobId) is not { IsTerminal: false } job || job.Generation != request.Generation);
        if ((w.CancelRequested || stale) && request.JobId.Length > 0)
        {
            response.Cancel = true;
            return Task.FromResult(response);
        }
        w.CancelRequested = false;
        if (w.PendingAssignment is { } a && request.JobId.Length == 0)
        {
            response.Assignment = a;
            w.PendingAssignment = null;
        }
        return Task.FromResult(response);
    }

    public override async Task FetchBlob(FetchBlobRequest request, IServerStreamWriter<FileChunk> stream, ServerCallContext context)
    {
        if (!blobs.IsValidHash(request.Sha256) || !File.Exists(blobs.PathOf(request.Sha256)))
            throw new RpcException(new Status(StatusCode.NotFound, $"no blob {request.Sha256}"));
        foreach (var chunk in FileChunks.Read(blobs.PathOf(request.Sha256), request.Sha256))
            await stream.WriteAsync(chunk, context.CancellationToken);
    }

    public override async Task FetchShard(ShardRequest request, IServerStreamWriter<FileChunk> stream, ServerCallContext context)
    {
        var job = (jobs.Find(request.JobId) is { IsTerminal: false } ? prepared.Find(request.JobId) : null) // ended: its shards are gone, whenever the cleanup runs
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"job_id: '{request.JobId}' is not running on this coordinator"));
        if (request.Generation != job.Generation)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"generation: {request.Generation} is stale; job {job.JobId} is at generation {job.Generation}"));
        if (workers.Find(request.WorkerId) is not { } worker || !job.Workers.Contains(worker.Name))
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"worker_id: '{request.WorkerId}' is not a worker of job {job.JobId}"));
        string? problem =
            request.WorldSize != job.WorldSize ? $"world_size: {request.WorldSize}, but the job runs on {job.WorldSize} workers"
            : request.Rank < 0 || request.Rank >= request.WorldSize ? $"rank: {request.Rank} is outside 0..{request.WorldSize - 1}"
            : request.Epoch < 0 ? $"epoch: {request.Epoch} is negative"
            : request.StartExample < 0 || request.StartExample > job.Train.Count ? $"start_example: {request.StartExample} is outside 0..{job.Train.Count}"
            : null;
        if (problem is not null) throw new RpcException(new Status(StatusCode.InvalidArgument, problem));

        // Planned and cut on request (the plan is a pure function of the seed): nothing per epoch is kept on disk.
        using var bytes = new MemoryStream();
        job.Shard(request.Epoch, request.Rank, request.WorldSize, request.StartExample).Write(bytes);
        bytes.Position = 0;
        foreach (var chunk in FileChunks.Read(bytes, $"epoch-{request.Epoch}-rank-{request.Rank}.shard"))
            await stream.WriteAsync(chunk, context.CancellationToken);
    }

    public override Task<ReportAck> Report(WorkerReport report, ServerCallContext context)
    {
        var job = jobs.Find(report.JobId);
        if (job is null || job.Generation != report.Generation || job.IsTerminal)
            return Task.FromResult(new ReportAck { Ok = false, Message = "stale report: the job moved on" }); // fenced out
        switch (report.ReportCase)
        {
            case WorkerReport.ReportOneofCase.Step:
                if (job.Recoveries is [.., { Seconds: null } recovery])
                    jobs.Update(job, _ => recovery.Seconds = Math.Round((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - recovery.StartedUnixMs) / 1000.0, 2));
                job.GlobalStep = report.Step.Step;
                job.MaxSteps = report.Step.MaxSteps;
                jobs.Publish(job, new JobEvent { JobId = job.Id, Step = report.Step });
                break;
            case WorkerReport.ReportOneofCase.Log:
                var entry = new LogEntry(report.Log.Step, report.Log.Epoch, report.Log.Values.ToDictionary(kv => kv.Key, kv => kv.Value));
                jobs.Update(job, j => j.History.Add(entry.ToJson()), new JobEvent { JobId = job.Id, Log = report.Log });
                break;
            case WorkerReport.ReportOneofCase.Failed:
                var failure = new RankFailure(report.Rank, report.Rank >= 0 && report.Rank < job.Workers.Count ? job.Workers[report.Rank] : workers.Find(report.WorkerId)?.Name,
                    report.Failed, report.HasFailedStep ? report.FailedStep : null, report.Recoverable, report.GroupFailure);
                log.LogWarning("job {Job} failed on {Reason} at step {Step} (recoverable: {Recoverable})", job.Id, failure.Reason, failure.Step, failure.Recoverable);
                scheduler.OnRankFailed(job, report.Generation, failure);
                break;
            case WorkerReport.ReportOneofCase.Checksum:
                completion.OnChecksum(job, report.Rank, report.Checksum);
                break;
            case WorkerReport.ReportOneofCase.Finished:
                completion.OnFinished(job, report);
                break;
        }
        return Task.FromResult(new ReportAck { Ok = true });
    }

    /// <summary>
    /// Rank 0's final model files into the job's output folder, or one checkpoint folder into the job's checkpoints
    /// (written aside and renamed into place when the stream ends, so a half-sent checkpoint never looks complete);
    /// each file is checked against its SHA-256. Uploads from an older generation are refused.
    /// </summary>
    public override async Task<ReportAck> UploadResult(IAsyncStreamReader<ResultChunk> requests, ServerCallContext context)
    {
        FileStream? file = null;
        IncrementalHash? hash = null;
        string? path = null, folder = null, checkpoint = null;
        JobRecord? job = null;
        try
        {
            await foreach (var r in requests.ReadAllAsync(context.CancellationToken))
            {
                if (job is null)
                {
                    job = jobs.Find(r.JobId) ?? throw new RpcException(new Status(StatusCode.NotFound, $"no job '{r.JobId}'"));
                    if (job.Generation != r.Generation || job.IsTerminal)
                        throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job {job.Id} moved on (generation {job.Generation}, {job.State}): upload refused"));
                    checkpoint = r.Checkpoint.Length == 0 ? null : r.Checkpoint;
                    if (checkpoint is not null && !CheckpointName().IsMatch(checkpoint))
                        throw new RpcException(new Status(StatusCode.InvalidArgument, $"invalid checkpoint name '{checkpoint}'"));
                    folder = checkpoint is null ? job.OutputDir : Path.Combine(options.CheckpointsDir(job.Id), $"{checkpoint}.tmp-{Guid.NewGuid():N}");
                    Directory.CreateDirectory(folder);
                }
                var c = r.Chunk;
                if (file is null)
                {
                    var name = Path.GetFileName(c.Name);
                    if (name != c.Name || name.Length == 0 || name.StartsWith('.'))
                        throw new RpcException(new Status(StatusCode.InvalidArgument, $"invalid file name '{c.Name}'"));
                    path = Path.Combine(folder!, name);
                    file = File.Create(path + ".part");
                    hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                }
                await file.WriteAsync(c.Data.Memory, context.CancellationToken);
                hash!.AppendData(c.Data.Span);
                if (c.Last)
                {
                    await file.DisposeAsync();
                    file = null;
                    var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
                    if (actual != c.Sha256)
                        throw new RpcException(new Status(StatusCode.DataLoss, $"{c.Name}: checksum mismatch (sent {c.Sha256}, received {actual})"));
                    File.Move(path + ".part", path!, overwrite: true);
                }
            }
            if (job is not null && checkpoint is not null)
            {
                checkpoints.Keep(job, folder!, checkpoint);
                folder = null;
            }
            return new ReportAck { Ok = true };
        }
        finally
        {
            if (file is not null) await file.DisposeAsync();
            hash?.Dispose();
            if (checkpoint is not null && folder is not null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true); // an upload that broke off
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^checkpoint-[0-9]{1,9}$")]
    private static partial System.Text.RegularExpressions.Regex CheckpointName();
}
