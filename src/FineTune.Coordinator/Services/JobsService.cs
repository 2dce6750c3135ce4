using FineTune.Contracts;
using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Coordinator.Sweeps;
using FineTune.Core;
using FineTune.Core.Arguments;
using Grpc.Core;

namespace FineTune.Coordinator.Services;

/// <summary>The Jobs API: a thin gRPC face over the job store and the job lifecycle.</summary>
public sealed partial class JobsService(JobStore jobs, JobLifecycle lifecycle, WorkerRegistry workers, CoordinatorOptions coordinator, JobDataWork dataWork,
    JobPushes pushes, SweepStore sweeps, SweepRunner runner) : FineTune.Contracts.V1.Jobs.JobsBase
{
    public override Task<Job> Submit(SubmitJobRequest request, ServerCallContext context)
    {
        if (Versions.Mismatch("client", request.ProtocolVersion, request.ProductVersion) is { } mismatch)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, mismatch));
        var options = request.Options.ToDictionary(kv => kv.Key, kv => kv.Value);
        Invalid(() => JobSpec.CheckRequest(options, request.RequestId));
        // A retry (same request id, e.g. after a lost reply) gets the first job back, without reading anything again.
        if (request.RequestId.Length > 0 && jobs.FindByRequestId(request.RequestId) is { } existing) return Task.FromResult(JobStore.ToMessage(existing));
        // The options are bound here, once: the spec is what every later step (and every rank) reads.
        var spec = Invalid(() => JobSpec.Parse(options, coordinator));
        Invalid(() => JobSpec.CheckCluster(spec, coordinator));
        Invalid(() => JobSpec.Check(spec)); // refused before anything starts: the message names the field or file
        var job = jobs.Add(new JobRecord
        {
            Id = JobRecord.NewId(),
            Spec = spec,
            RequestId = request.RequestId,
            CreatedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            RequestedWorkers = Placement.WorldSize(spec, workers.Ready()), // the scheduler places it by the same rule
            MinWorkers = spec.MinWorkers ?? 0,
        });
        dataWork.Start(job); // the whole dataset is read and tokenized from now on, in the background
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
        if (!lifecycle.Cancel(job)) throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job {job.Id} is already {job.State.Name()}"));
        return Task.FromResult(JobStore.ToMessage(job));
    }

    /// <summary>A job's output, or a sweep's (its best trial's output with the sweep's report: that job's push), pushed again.</summary>
    public override Task<Job> PushJob(PushJobRequest request, ServerCallContext context)
    {
        var sweep = sweeps.Find(request.JobId);
        if (sweep is not null && sweeps.Read(() => sweep.State) is var state && state != SweepStates.Succeeded)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"sweep {sweep.Id} is {state}: only a succeeded sweep's output (its best trial's model, scored on the test set, with the sweep's report) is pushed"));
        var job = sweep is not null ? BestOf(sweep) : Find(request.JobId);
        string? refusal = job.State != JobState.Succeeded ? $"job {job.Id} is {job.State.Name()}: only a succeeded job's output is pushed"
            : job.Spec.HubModelId is null ? (sweep is null ? $"job {job.Id} names no hub_model_id to push to" : $"sweep {sweep.Id} names no hub_model_id to push to (set it in its base)")
            : JobSpec.PushRefusal(coordinator);
        if (refusal is not null) throw new RpcException(new Status(StatusCode.FailedPrecondition, refusal));
        pushes.PushOutput(job);
        return Task.FromResult(JobStore.ToMessage(job));
    }

    /// <summary>The one options table (ArgumentTable), for clients in any language: no second copy in proto comments.</summary>
    public override Task<DescribeOptionsResponse> DescribeOptions(DescribeOptionsRequest request, ServerCallContext context)
    {
        var response = new DescribeOptionsResponse();
        foreach (var e in ArgumentTable.Entries)
        {
            var option = new OptionDescription { Key = e.Key, Flag = e.Flag, Kind = e.Kind, Help = e.Help, DefaultValue = ArgumentTable.DefaultOf(e.Key) };
            option.Choices.AddRange(ArgumentTable.ChoicesOf(e.Key));
            option.Aliases.AddRange(ArgumentTable.AliasesOf(e.Key));
            response.Options.Add(option);
        }
        return Task.FromResult(response);
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
        // Names "ID/RELATIVE/PATH" with a 64-hex ID, under uploads/; written aside and renamed into place once checked.
        using var receiver = new FileChunkReceiver(coordinator.UploadsDir, coordinator.MaxUploadBytes) { Subfolders = true, Accept = IsUploadName };
        try
        {
            await foreach (var c in requests.ReadAllAsync(context.CancellationToken))
                if (await receiver.AddAsync(c, context.CancellationToken) is { } file)
                    return new UploadResult { Path = JobSpec.CoordinatorPrefix + Path.GetRelativePath(coordinator.DataDir, file.Path!), Sha256 = file.Sha256, Size = file.Size };
            receiver.End();
        }
        catch (FileTransferException e)
        {
            // The status as every receiver answers (RpcErrors); the Jobs API's own wording for what clients are told to fix.
            throw RpcErrors.Refused(e, e.Problem switch
            {
                TransferProblem.BadName => $"upload name '{e.File}' must be SHA256/relative/path with no '..'",
                TransferProblem.TooLarge => $"{e.File}: larger than the coordinator's upload limit of {coordinator.MaxUploadBytes} bytes",
                TransferProblem.Incomplete => "upload ended before its last chunk",
                _ => null,
            });
        }
        throw new RpcException(new Status(StatusCode.InvalidArgument, "upload ended before its last chunk"));
    }

    /// <summary>The files of a succeeded job's output folder (model, results, report), chunked; each file's SHA-256 on its last chunk.</summary>
    public override async Task Download(DownloadRequest request, IServerStreamWriter<FileChunk> stream, ServerCallContext context)
    {
        var job = sweeps.Find(request.JobId) is { } sweep ? BestOf(sweep) : Find(request.JobId);
        if (job.State != JobState.Succeeded) throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job {job.Id} is {job.State.Name()}: only a succeeded job has an output to download"));
        var files = FolderFiles.List(job.OutputDir).Where(f => !f.Name.EndsWith(".part", StringComparison.Ordinal));
        await FileTransfers.SendAsync(stream, files, context.CancellationToken);
    }

    /// <summary>A sweep's output (Download, PushJob): its best trial's job (FAILED_PRECONDITION while it has none).</summary>
    JobRecord BestOf(SweepRecord sweep) => sweeps.Read(() => sweep.BestTrial is { } best ? sweep.TrialJobs[best] : null) is { } id
        ? Find(id)
        : throw new RpcException(new Status(StatusCode.FailedPrecondition, $"sweep {sweep.Id} has no completed trial yet: nothing to download"));

    /// <summary>An upload's ID (the first part of its name) is a SHA-256 in hex; the receiver checks the rest of the path.</summary>
    static bool IsUploadName(string name) => name.Split('/') is [var id, _, ..] && id.Length == 64 && id.All(Uri.IsHexDigit);

    JobRecord Find(string id) => jobs.Find(id) ?? throw new RpcException(new Status(StatusCode.NotFound, $"no job '{id}'"));

    static void Invalid(Action action) => Invalid(() => { action(); return 0; });

    /// <summary>Bad input of any kind (a wrong value, a missing or unreadable file, bytes that are not UTF-8) is INVALID_ARGUMENT with its message.</summary>
    static T Invalid<T>(Func<T> action) => RpcErrors.Input(action);
}
