using System.Collections.Concurrent;

namespace FineTune.Coordinator.Jobs;

/// <summary>The prepared jobs the coordinator is serving shards for, by job id (dropped when a job ends).</summary>
public sealed class PreparedJobs
{
    readonly ConcurrentDictionary<string, PreparedJob> jobs = new();

    public void Set(PreparedJob job) => jobs[job.JobId] = job;

    public PreparedJob? Find(string jobId) => jobs.GetValueOrDefault(jobId);

    public void Remove(string jobId) => jobs.TryRemove(jobId, out _);

    public IEnumerable<string> Ids => jobs.Keys;
}
