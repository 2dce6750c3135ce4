using FineTune.Contracts;
using FineTune.Contracts.V1;

namespace FineTune.Coordinator.Jobs;

/// <summary>The workers that have joined, and which of them are ready (heard from recently, idle and not shutting down).</summary>
public sealed class WorkerRegistry(CoordinatorOptions options, TimeProvider? clock = null)
{
    readonly Dictionary<string, WorkerInfo> workers = [];
    readonly Lock gate = new();
    readonly TimeProvider clock = clock ?? TimeProvider.System;

    public DateTimeOffset Now => clock.GetUtcNow();

    public WorkerInfo Register(RegisterRequest r)
    {
        lock (gate)
        {
            // A worker that restarts registers again under its name: the old entry goes. Ids carry 128 random bits: not guessable.
            foreach (var old in workers.Values.Where(w => w.Name == r.Name).ToList()) workers.Remove(old.Id);
            var w = new WorkerInfo { Id = $"{r.Name}-{Secrets.NewToken()[..32]}", Name = r.Name, RingEndpoint = r.RingEndpoint, Device = r.Device, JobKinds = new HashSet<string>(r.JobKinds.Append(JobKinds.Train)) };
            w.Seen(Now);
            workers[w.Id] = w;
            return w;
        }
    }

    public WorkerInfo? Find(string id)
    {
        lock (gate) return workers.GetValueOrDefault(id);
    }

    public WorkerInfo? FindByName(string name)
    {
        lock (gate) return workers.Values.FirstOrDefault(w => w.Name == name);
    }

    public bool IsAlive(WorkerInfo w) => Now - w.LastSeen < options.HeartbeatTimeout;

    public IReadOnlyList<WorkerInfo> Ready()
    {
        lock (gate) return workers.Values.Where(w => IsAlive(w) && w.IsFree).OrderBy(w => w.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>A draining worker that no job holds leaves: forgotten, as if it had never registered.</summary>
    public void Remove(WorkerInfo w)
    {
        lock (gate) workers.Remove(w.Id);
    }

    public IReadOnlyList<WorkerInfo> OfJob(string jobId)
    {
        lock (gate) return workers.Values.Where(w => w.JobId == jobId).ToList();
    }
}
