using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core;
using Grpc.Core;

namespace FineTune.Coordinator.Services;

/// <summary>The Jobs API: a thin gRPC face over the job store and the scheduler.</summary>
public sealed class JobsService(JobStore jobs, Scheduler scheduler, WorkerRegistry workers) : FineTune.Contracts.V1.Jobs.JobsBase
{
    public override Task<Job> Submit(SubmitJobRequest request, ServerCallContext context)
    {
        var options = request.Options.ToDictionary(kv => kv.Key, kv => kv.Value);
        var args = Invalid(() => JobSpec.Parse(options));
        Invalid(() => JobSpec.Validate(args)); // refused before anything starts: the message names the field or file
        var job = jobs.Add(new JobRecord
        {
            Id = $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}",
            Options = options,
            RequestId = request.RequestId,
            CreatedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            // --workers omitted: all the workers ready at submission (at least one).
            RequestedWorkers = args.Workers ?? Math.Max(1, workers.Ready().Count),
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

    JobRecord Find(string id) => jobs.Find(id) ?? throw new RpcException(new Status(StatusCode.NotFound, $"no job '{id}'"));

    static T Invalid<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (InvalidInputException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
    }
}
