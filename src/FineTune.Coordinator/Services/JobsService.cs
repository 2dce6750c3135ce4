using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core;
using Grpc.Core;

namespace FineTune.Coordinator.Services;

/// <summary>The Jobs API: a thin gRPC face over the job store and the scheduler.</summary>
public sealed class JobsService(JobStore jobs, Scheduler scheduler, WorkerRegistry workers, CoordinatorOptions coordinator) : FineTune.Contracts.V1.Jobs.JobsBase
{
    public override Task<Job> Submit(SubmitJobRequest request, ServerCallContext context)
    {
        if (Versions.Mismatch("client", request.ProtocolVersion, request.ProductVersion) is { } mismatch)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, mismatch));
        var options = request.Options.ToDictionary(kv => kv.Key, kv => kv.Value);
        Invalid(() => JobSpec.CheckRequest(options, request.RequestId));
        // A retry (same request id, e.g. after a lost reply) gets the first job back, without reading anything again.
        if (request.RequestId.Length > 0 && jobs.FindByRequestId(request.RequestId) is { } existing) return Task.FromResult(JobStore.ToMessage(existing));
        var args = Invalid(() => JobSpec.Parse(options, coordinator));
        Invalid(() => JobSpec.CheckCluster(args, coordinator));
        Invalid(() => JobSpec.Validate(args)); // refused before anything starts: the message names the field or file
        var job = jobs.Add(new JobRecord
        {
            Id = $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}",
            Options = options,
            RequestId = request.RequestId,
            CreatedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            // --workers omitted: all the workers ready at submission (at least one).
            RequestedWorkers = args.Workers ?? Math.Max(1, workers.Ready().Count),
            MinWorkers = args.MinWorkers ?? 0,
        });
        return Task.FromResult(JobStore.ToMessage(job));
    }

    public override Task<Job> GetJob(GetJobRequest request, ServerCallContext context) => Task.FromResult(JobStore.ToMessage(Find(request.JobId)));

    public override Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        var response = new ListJobsResponse();
        response.Jobs.AddRange(jobs.All().Select(JobStore.ToMessage));
        return Task.FromResult(response);
    }

    public override Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context)
    {
        var job = Find(request.JobId);
        if (job.IsTerminal) throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job {job.Id} is already {job.State}"));
        scheduler.Fail(job, "cancelled by the user", "cancelled");
        return Task.FromResult(JobStore.ToMessage(job));
    }

    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> stream, ServerCallContext context)
    {
        var reader = jobs.Watch(Find(request.JobId));
        await foreach (var evt in reader.ReadAllAsync(context.CancellationToken)) await stream.WriteAsync(evt);
    }

    /// <summary>
    /// One file per call, chunked: name "ID/RELATIVE/PATH" where ID is the SHA-256 the client computed (of the file, or of a
    /// folder's listing), so uploads are stored by content; each file's SHA-256 is checked on its last chunk.
    /// </summary>
    public override async Task<UploadResult> Upload(IAsyncStreamReader<FileChunk> requests, ServerCallContext context)
    {
        string? target = null, temp = null, name = null;
        long size = 0;
        FileStream? file = null;
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        try
        {
            await foreach (var c in requests.ReadAllAsync(context.CancellationToken))
            {
                if (file is null)
                {
                    name = c.Name;
                    target = UploadPath(name);
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    temp = $"{target}.part-{Guid.NewGuid():N}";
                    file = File.Create(temp);
                }
                size += c.Data.Length;
                if (size > coordinator.MaxUploadBytes)
                    throw new RpcException(new Status(StatusCode.ResourceExhausted, $"{name}: larger than the coordinator's upload limit of {coordinator.MaxUploadBytes} bytes"));
                await file.WriteAsync(c.Data.Memory, context.CancellationToken);
                hash.AppendData(c.Data.Span);
                if (!c.Last) continue;
                await file.DisposeAsync();
                file = null;
                var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (actual != c.Sha256)
                    throw new RpcException(new Status(StatusCode.DataLoss, $"{name}: checksum mismatch (sent {c.Sha256}, received {actual})"));
                File.Move(temp!, target!, overwrite: true);
                return new UploadResult { Path = JobSpec.CoordinatorPrefix + Path.GetRelativePath(coordinator.DataDir, target!), Sha256 = actual, Size = size };
            }
            throw new RpcException(new Status(StatusCode.InvalidArgument, "upload ended before its last chunk"));
        }
        finally
        {
            if (file is not null) await file.DisposeAsync();
            if (temp is not null && File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The files of a succeeded job's output folder (model, results, report), chunked; each file's SHA-256 on its last chunk.</summary>
    public override async Task Download(DownloadRequest request, IServerStreamWriter<FileChunk> stream, ServerCallContext context)
    {
        var job = Find(request.JobId);
        if (job.State != "succeeded") throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job {job.Id} is {job.State}: only a succeeded job has an output to download"));
        foreach (var path in Directory.GetFiles(job.OutputDir).Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".part", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            foreach (var chunk in FileChunks.Read(path, Path.GetFileName(path)))
                await stream.WriteAsync(chunk, context.CancellationToken);
    }

    string UploadPath(string name)
    {
        var parts = name.Split('/');
        bool valid = parts.Length >= 2 && parts[0].Length == 64 && parts[0].All(Uri.IsHexDigit)
            && parts.All(p => p.Length > 0 && p != "." && p != ".." && !p.Contains('\\'));
        if (!valid) throw new RpcException(new Status(StatusCode.InvalidArgument, $"upload name '{name}' must be SHA256/relative/path with no '..'"));
        return Path.Combine([coordinator.UploadsDir, .. parts]);
    }

    JobRecord Find(string id) => jobs.Find(id) ?? throw new RpcException(new Status(StatusCode.NotFound, $"no job '{id}'"));

    static void Invalid(Action action) => Invalid(() => { action(); return 0; });

    /// <summary>Bad input of any kind (a wrong value, a missing or unreadable file, bytes that are not UTF-8) is INVALID_ARGUMENT with its message.</summary>
    static T Invalid<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is InvalidInputException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or System.Text.DecoderFallbackException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
    }
}
