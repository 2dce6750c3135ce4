using FineTune.Contracts;
using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core;
using FineTune.Core.Reporting;
using Grpc.Core;

namespace FineTune.Coordinator.Services;

/// <summary>The cluster API: registration, heartbeats (carrying assignments), blobs, shards, checkpoints, and the workers' reports.</summary>
public sealed partial class ClusterService(JobStore jobs, WorkerRegistry workers, BlobStore blobs, PreparedJobs prepared, JobLifecycle lifecycle, JobCompletion completion,
    JobCheckpoints checkpoints, Heartbeats heartbeats, CoordinatorOptions options, ILogger<ClusterService> log) : Cluster.ClusterBase
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
        return Task.FromResult(new RegisterResponse { WorkerId = w.Id, HeartbeatIntervalMs = (int)options.HeartbeatInterval.TotalMilliseconds });
    }

    public override Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context)
    {
        var w = workers.Find(request.WorkerId) ?? throw new RpcException(new Status(StatusCode.NotFound, $"unknown worker '{request.WorkerId}': register again"));
        return Task.FromResult(heartbeats.On(w, request));
    }

    public override async Task FetchBlob(FetchBlobRequest request, IServerStreamWriter<FileChunk> stream, ServerCallContext context)
    {
        if (!blobs.IsValidHash(request.Sha256) || !File.Exists(blobs.PathOf(request.Sha256)))
            throw new RpcException(new Status(StatusCode.NotFound, $"no blob {request.Sha256}"));
        await FileTransfers.SendAsync(stream, [new FolderFile(blobs.PathOf(request.Sha256), request.Sha256)], context.CancellationToken);
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

        // Planned and cut on request (the plan is a pure function of the seed), then spooled to a file deleted on close,
        // not a MemoryStream: at 650,000 reviews each rank's shard is ~115 MB, and the ranks and prefetches fetch at once.
        var spool = Path.Combine(options.DataDir, "spool");
        Directory.CreateDirectory(spool);
        await using var bytes = new FileStream(Path.Combine(spool, $"{Guid.NewGuid():N}.shard"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
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
                lifecycle.OnStep(job, report.Generation, report.Step);
                break;
            case WorkerReport.ReportOneofCase.Log:
                lifecycle.OnLog(job, report.Generation, report.Log);
                break;
            case WorkerReport.ReportOneofCase.Failed:
                var failure = new RankFailure(report.Rank, report.Rank >= 0 && report.Rank < job.Workers.Count ? job.Workers[report.Rank] : workers.Find(report.WorkerId)?.Name,
                    report.Failed, report.HasFailedStep ? report.FailedStep : null, report.Recoverable, report.GroupFailure);
                log.LogWarning("job {Job} failed on {Reason} at step {Step} (recoverable: {Recoverable})", job.Id, failure.Reason, failure.Step, failure.Recoverable);
                lifecycle.OnRankFailed(job, report.Generation, failure);
                break;
            case WorkerReport.ReportOneofCase.Preempted when report.Rank == 0:
                lifecycle.OnPreempted(job, report.Generation, Preemption.Reason(job, report.Preempted));
                break;
            case WorkerReport.ReportOneofCase.Checksum:
                completion.OnChecksum(job, report.Generation, report.Rank, report.Checksum);
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
        FileChunkReceiver? receiver = null;
        AtomicFolder.Pending? received = null; // a checkpoint folder, filled aside
        string? checkpoint = null;
        JobRecord? job = null;
        try
        {
            await foreach (var r in requests.ReadAllAsync(context.CancellationToken))
            {
                if (job is null)
                {
                    job = jobs.Find(r.JobId) ?? throw new RpcException(new Status(StatusCode.NotFound, $"no job '{r.JobId}'"));
                    if (job.Generation != r.Generation || job.IsTerminal)
                        throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job {job.Id} moved on (generation {job.Generation}, {job.State.Name()}): upload refused"));
                    checkpoint = r.Checkpoint.Length == 0 ? null : r.Checkpoint;
                    if (checkpoint is not null && !CheckpointName().IsMatch(checkpoint))
                        throw new RpcException(new Status(StatusCode.InvalidArgument, $"invalid checkpoint name '{checkpoint}'"));
                    if (checkpoint is not null) received = AtomicFolder.Begin(Path.Combine(options.CheckpointsDir(job.Id), checkpoint));
                    else Directory.CreateDirectory(job.OutputDir);
                    receiver = new FileChunkReceiver(received?.Path ?? job.OutputDir, options.MaxResultBytes);
                }
                await receiver!.AddAsync(r.Chunk, context.CancellationToken);
            }
            receiver?.End();
            if (job is not null && received is not null) checkpoints.Keep(job, received, checkpoint!);
            return new ReportAck { Ok = true };
        }
        catch (FileTransferException e)
        {
            throw RpcErrors.Refused(e);
        }
        finally
        {
            receiver?.Dispose(); // a file that broke off is deleted
            received?.Dispose(); // and a checkpoint folder that did not make it into place
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^checkpoint-[0-9]{1,9}$")]
    private static partial System.Text.RegularExpressions.Regex CheckpointName();
}
