using FineTune.Contracts.V1;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// A worker's heartbeat, answered: its assignment, a stop, or (to a draining worker that no job holds) leave. A worker
/// that drains before starting the rank it was given costs its job that group: the job regroups at once rather than
/// waiting for the heartbeat timeout. A draining worker whose rank is still winding down stays until the job lets go
/// of it (rank 0's preemption report, or any recovery), so the job is not recovered twice.
/// </summary>
public sealed class Heartbeats(JobStore jobs, WorkerRegistry workers, JobLifecycle lifecycle, ILogger<Heartbeats> log)
{
    public HeartbeatResponse On(WorkerInfo w, HeartbeatRequest request)
    {
        bool current = request.JobId.Length > 0 && jobs.Find(request.JobId) is { IsTerminal: false } job && job.Generation == request.Generation;
        if (request.Draining && !w.Draining) log.LogInformation("worker {Name} is shutting down (draining)", w.Name);
        var response = w.OnHeartbeat(request.JobId, current, workers.Now, request.Draining);
        if (w.Abandons && w.JobId is { } held && jobs.Find(held) is { } abandoned)
            lifecycle.Recover(abandoned, $"{w.Name} is shutting down (preempted) before it started its rank");
        if (response.Leave)
        {
            workers.Remove(w);
            log.LogInformation("worker {Name} left (shut down)", w.Name);
        }
        return response;
    }
}
