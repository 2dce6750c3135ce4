using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core.Arguments;
using FineTune.Core.Data;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Core.Tests.Coordination;

/// <summary>A clock that moves only when a test says so.</summary>
public sealed class ManualClock : TimeProvider
{
    long ticks = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks; // atomic: tests move it from many threads
    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);
    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
}

/// <summary>Preparation without data: an assignment per rank, at once (or the exception a test sets).</summary>
public sealed class FakePreparation : IJobPreparation
{
    public Exception? Failure { get; set; }
    public List<(string Job, int WorldSize, long Generation, bool Resume)> Calls { get; } = [];

    public PreparedGroup Prepare(JobRecord job, IReadOnlyList<WorkerInfo> group, long generation, bool resume)
    {
        Calls.Add((job.Id, group.Count, generation, resume));
        if (Failure is not null) throw Failure;
        var assignments = group.Select((w, rank) => new Assignment { JobId = job.Id, Generation = generation, Rank = rank, WorldSize = group.Count }).ToList();
        var shards = new PreparedJob(job.Id, generation, group.Select(w => w.Name).ToList(), TokenizedDataset.Empty, new TrainingArguments(), 8);
        return new PreparedGroup(shards, assignments, ["neg", "pos"], resume ? "checkpoint-20" : null);
    }
}

/// <summary>
/// The coordinator's job machinery (store, workers, lifecycle, scheduler, completion) in one process, with a manual
/// clock and fake preparation: scheduling and recovery tested in milliseconds, without processes or timing luck.
/// </summary>
public sealed class InProcessCoordinator
{
    public ManualClock Clock { get; } = new();
    public CoordinatorOptions Options { get; }
    public JobStore Jobs { get; }
    public WorkerRegistry Workers { get; }
    public PreparedJobs Prepared { get; } = new();
    public JobLifecycle Lifecycle { get; }
    public FakePreparation Preparation { get; } = new();
    public Scheduler Scheduler { get; }
    public JobCompletion Completion { get; }

    public InProcessCoordinator(string? dataDir = null)
    {
        Options = new CoordinatorOptions(dataDir ?? Path.Combine(Path.GetTempPath(), "finetune-tests", "coordinator-" + Guid.NewGuid().ToString("N")[..8]));
        Jobs = new JobStore(Options, NullLogger<JobStore>.Instance);
        Workers = new WorkerRegistry(Options, Clock);
        Lifecycle = new JobLifecycle(Jobs, Workers, Prepared, Options, NullLogger<JobLifecycle>.Instance);
        Scheduler = new Scheduler(Jobs, Workers, Prepared, Lifecycle, Preparation, Options, NullLogger<Scheduler>.Instance);
        Completion = new JobCompletion(Jobs, Lifecycle, NullLogger<JobCompletion>.Instance);
        Lifecycle.Reopen();
    }

    /// <summary>A job accepted and its data made ready (the data work is not what these tests are about).</summary>
    public JobRecord Submit(int workers, int minWorkers = 0, string id = "job-1", string? device = null)
    {
        var job = Accept(new TrainingArguments { Device = device ?? "auto" }, id, workers, minWorkers);
        Assert.True(Lifecycle.OnDataReady(job));
        return job;
    }

    /// <summary>A job as Submit leaves it: queued, its data not read yet.</summary>
    public JobRecord Accept(TrainingArguments spec, string id = "job-1", int? workers = null, int minWorkers = 0) =>
        Jobs.Add(new JobRecord { Id = id, Spec = spec, CreatedUnixMs = 1, RequestedWorkers = workers ?? Placement.WorldSize(spec, Workers.Ready()), MinWorkers = minWorkers });

    /// <param name="evaluates">it names the evaluate job kind at registration, as a current worker does (an older one does not)</param>
    public WorkerInfo Join(string name, string device = "cpu", bool evaluates = true)
    {
        var request = new RegisterRequest { Name = name, RingEndpoint = $"127.0.0.1:{7000 + name.Length}", Device = device };
        if (evaluates) request.JobKinds.Add(Contracts.JobKinds.Evaluate);
        return Workers.Register(request);
    }

    /// <summary>An idle worker's heartbeat: its assignment, if one waits.</summary>
    public Assignment? Idle(WorkerInfo w) => w.OnHeartbeat("", false, Clock.GetUtcNow()).Assignment;

    /// <summary>A heartbeat from a worker running <paramref name="a"/>: true if it is told to stop.</summary>
    public bool Busy(WorkerInfo w, Assignment a) =>
        w.OnHeartbeat(a.JobId, Jobs.Find(a.JobId) is { IsTerminal: false } j && j.Generation == a.Generation, Clock.GetUtcNow()).Cancel;

    /// <summary>A job running on <paramref name="names"/> at generation 1, as the scheduler leaves it.</summary>
    public JobRecord Running(params string[] names)
    {
        var job = Submit(names.Length);
        var group = names.Select(n => Join(n)).ToList();
        Assert.True(Lifecycle.Prepare(job, group));
        Assert.True(Lifecycle.Run(job, group, Preparation.Prepare(job, group, job.Generation + 1, resume: false), resume: false));
        return job;
    }

    /// <summary>What a new group does after a recovery: prepared and running again at the next generation.</summary>
    public void Regroup(JobRecord job)
    {
        var group = job.Workers.Select(n => Workers.FindByName(n)!).ToList();
        Assert.True(Lifecycle.Prepare(job, group));
        Assert.True(Lifecycle.Run(job, group, Preparation.Prepare(job, group, job.Generation + 1, resume: true), resume: true));
    }
}
