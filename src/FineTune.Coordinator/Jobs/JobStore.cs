using System.Text.Json;
using System.Threading.Channels;
using FineTune.Contracts;
using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Core;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// The durable job records (one job.json per job under the data folder, replaced atomically on every change, so a
/// crash leaves either the old or the new record), and the live event feeds that WatchJob streams.
/// </summary>
public sealed class JobStore
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    readonly CoordinatorOptions options;
    readonly Dictionary<string, JobRecord> jobs = [];
    readonly Dictionary<string, List<Channel<JobEvent>>> watchers = [];
    readonly Lock gate = new();

    public JobStore(CoordinatorOptions options, ILogger<JobStore> log, TimeProvider? clock = null)
    {
        this.options = options;
        Directory.CreateDirectory(options.JobsDir);
        foreach (var file in Directory.GetFiles(options.JobsDir, "job.json", SearchOption.AllDirectories))
        {
            var job = JsonSerializer.Deserialize<JobRecord>(File.ReadAllText(file), Json)!;
            if (job.State is JobState.Preparing or JobState.Running or JobState.Recovering)
            {
                // Its workers carry on without us until they notice; the job resumes from its last checkpoint with the
                // group that re-registers (the new generation fences the old one off).
                job.Reopen((clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds());
                Save(job);
            }
            jobs[job.Id] = job;
        }
        log.LogInformation("{Count} jobs loaded from {Dir}", jobs.Count, options.JobsDir);
    }

    public JobRecord Add(JobRecord job)
    {
        lock (gate)
        {
            if (job.RequestId is { Length: > 0 } rid && jobs.Values.FirstOrDefault(j => j.RequestId == rid) is { } existing) return existing;
            job.OutputDir = Path.Combine(options.JobsDir, job.Id, "output");
            jobs[job.Id] = job;
            Save(job);
            return job;
        }
    }

    /// <summary>The job an earlier Submit with this client request id created (kept in job.json, so it survives restarts).</summary>
    public JobRecord? FindByRequestId(string requestId)
    {
        lock (gate) return jobs.Values.FirstOrDefault(j => j.RequestId == requestId);
    }

    public JobRecord? Find(string id)
    {
        lock (gate) return jobs.GetValueOrDefault(id);
    }

    public IReadOnlyList<JobRecord> All()
    {
        lock (gate) return jobs.Values.OrderBy(j => j.CreatedUnixMs).ToList();
    }

    /// <summary>A job's state changed (the job, its previous state): telemetry listens here.</summary>
    public event Action<JobRecord, JobState>? StateChanged;

    /// <summary>Changes a job under the lock, persists it, and tells its watchers.</summary>
    public void Update(JobRecord job, Action<JobRecord> change, JobEvent? evt = null) => Update(job, j => { change(j); return true; }, evt);

    /// <summary>
    /// Decides and changes under the lock (a check and the transition it allows, with no other change in between):
    /// persisted and published only when <paramref name="change"/> returns true. Returns what it returned.
    /// </summary>
    public bool Update(JobRecord job, Func<JobRecord, bool> change, JobEvent? evt = null)
    {
        lock (gate)
        {
            var before = job.State;
            if (!change(job)) return false;
            Save(job);
            Publish(job, evt ?? new JobEvent { JobId = job.Id, Job = ToMessage(job) });
            if (job.State != before) StateChanged?.Invoke(job, before);
            return true;
        }
    }

    /// <summary>An event that changes nothing durable (a step): published, not persisted.</summary>
    public void Publish(JobRecord job, JobEvent evt)
    {
        lock (gate)
        {
            if (!watchers.TryGetValue(job.Id, out var list)) return;
            foreach (var w in list) w.Writer.TryWrite(evt);
            if (job.IsTerminal && evt.EventCase == JobEvent.EventOneofCase.Job)
            {
                foreach (var w in list) w.Writer.TryComplete();
                watchers.Remove(job.Id);
            }
        }
    }

    public ChannelReader<JobEvent> Watch(JobRecord job)
    {
        var channel = Channel.CreateUnbounded<JobEvent>();
        lock (gate)
        {
            channel.Writer.TryWrite(new JobEvent { JobId = job.Id, Job = ToMessage(job) });
            if (job.IsTerminal) channel.Writer.TryComplete();
            else
            {
                if (!watchers.TryGetValue(job.Id, out var list)) watchers[job.Id] = list = [];
                list.Add(channel);
            }
        }
        return channel.Reader;
    }

    public static Job ToMessage(JobRecord j)
    {
        var m = new Job
        {
            Id = j.Id,
            State = j.State.Name(),
            StateCode = j.State,
            WorldSize = j.Workers.Count,
            OutputDir = j.OutputDir,
            Error = j.Error ?? "",
            GlobalStep = j.GlobalStep,
            MaxSteps = j.MaxSteps,
            Json = j.ToJson().ToJsonString(),
            CreatedUnixMs = j.CreatedUnixMs,
        };
        m.Workers.AddRange(j.Workers);
        m.Options.Add(j.Options);
        return m;
    }

    void Save(JobRecord job)
    {
        var dir = Path.Combine(options.JobsDir, job.Id);
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "job.json"), JsonSerializer.Serialize(job, Json));
    }
}
