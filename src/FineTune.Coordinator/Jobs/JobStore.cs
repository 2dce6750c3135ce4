using System.Text.Json.Nodes;
using System.Threading.Channels;
using FineTune.Contracts;
using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Core;
using FineTune.Core.Arguments;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// The durable job records (one job.json per job under the data folder, replaced atomically on every change, so a
/// crash leaves either the old or the new record), and the live event feeds that WatchJob streams.
/// </summary>
public sealed class JobStore
{
    readonly CoordinatorOptions options;
    readonly Dictionary<string, JobRecord> jobs = [];
    readonly Dictionary<string, List<Channel<JobEvent>>> watchers = [];
    readonly Lock gate = new();

    /// <summary>Loads every job.json as it is; JobLifecycle.Reopen then moves what a restart changes (no state changes here).</summary>
    public JobStore(CoordinatorOptions options, ILogger<JobStore> log)
    {
        this.options = options;
        Directory.CreateDirectory(options.JobsDir);
        foreach (var file in Directory.GetFiles(options.JobsDir, "job.json", SearchOption.AllDirectories))
        {
            var (job, problem) = JobFile.Read(File.ReadAllText(file), options);
            jobs[job.Id] = job;
            if (problem is not null) unbound[job.Id] = problem;
        }
        log.LogInformation("{Count} jobs loaded from {Dir}", jobs.Count, options.JobsDir);
    }

    /// <summary>Jobs loaded whose options no longer bind or validate, with the reason (see <see cref="JobFile"/>).</summary>
    public IReadOnlyDictionary<string, string> Unbound => unbound;

    readonly Dictionary<string, string> unbound = [];

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

    /// <summary>A job's state changed (the job, its previous state): telemetry listens here. Called under the lock.</summary>
    public event Action<JobRecord, JobState>? StateChanged;

    /// <summary>Any change made through <see cref="Update(JobRecord, Func{JobRecord, bool}, JobEvent?, bool)"/> (the job, its state
    /// before, whether job.json was written), under the lock: tests check invariants here.</summary>
    public event Action<JobRecord, JobState, bool>? Updated;

    /// <summary>Changes a job under the lock, persists it, and tells its watchers.</summary>
    public void Update(JobRecord job, Action<JobRecord> change, JobEvent? evt = null) => Update(job, j => { change(j); return true; }, evt);

    /// <summary>Runs <paramref name="read"/> under the lock: a consistent look at jobs that other threads change.</summary>
    public T Read<T>(Func<T> read)
    {
        lock (gate) return read();
    }

    /// <summary>
    /// Decides and changes under the lock (a check and the transition it allows, with no other change in between):
    /// persisted (unless <paramref name="persist"/> is false: a change to nothing job.json holds) and published only when
    /// <paramref name="change"/> returns true. Returns what it returned.
    /// </summary>
    public bool Update(JobRecord job, Func<JobRecord, bool> change, JobEvent? evt = null, bool persist = true)
    {
        lock (gate)
        {
            var before = job.State;
            if (!change(job)) return false;
            if (persist) Save(job);
            Publish(job, evt ?? new JobEvent { JobId = job.Id, Job = ToMessage(job) });
            if (job.State != before) StateChanged?.Invoke(job, before);
            Updated?.Invoke(job, before, persist);
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
            Data = j.Data.Clone(),
            FailureKind = j.State == JobState.Failed ? j.FailureKind : FailureKind.Unspecified,
            Push = j.Push?.Clone(),
            StopReason = j.State == JobState.Stopped ? j.StopReason ?? "" : "",
            SweepId = j.SweepId ?? "",
            Kind = j.Kind,
        };
        m.Workers.AddRange(j.Workers);
        foreach (var (input, node) in j.Hub ?? [])
            if (node is JsonObject source)
                m.HubSources.Add(new HubSource { Input = input, Id = (string?)source["id"] ?? "", Revision = (string?)source["revision"] ?? "", Commit = (string?)source["commit"] ?? "" });
        foreach (var (key, value) in ArgumentTable.Canonical(j.Spec)) m.Options[key] = value;
        return m;
    }

    void Save(JobRecord job)
    {
        var dir = Path.Combine(options.JobsDir, job.Id);
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "job.json"), JobFile.Write(job));
    }
}
