using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Coordinator.Sweeps;
using FineTune.Core.Sweeps;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Core.Tests.Coordination;

/// <summary>
/// Sweep file work without data: splits as an empty folder, reports counted, deletions counted; the report is the real
/// one where the best trial has an output folder (a test that wrote one), else nothing.
/// </summary>
public sealed class FakeSweepWork(SweepStore store, CoordinatorOptions coordinator, JobPushes? pushes = null) : SweepWork(store, coordinator, pushes)
{
    readonly string sweepsDir = coordinator.SweepsDir;

    public List<string> Reports { get; } = [];
    public List<string> Deleted { get; } = [];

    public override string WriteSplits(SweepRecord sweep)
    {
        var folder = Path.Combine(sweepsDir, sweep.Id, "data");
        Directory.CreateDirectory(Path.Combine(folder, SweepSplits.TrialsFolderName));
        return folder;
    }

    public override void WriteReport(SweepRecord sweep, JobRecord best)
    {
        Reports.Add(best.Id);
        if (Directory.Exists(best.OutputDir)) base.WriteReport(sweep, best);
    }

    public override void DeleteResults(JobRecord? job)
    {
        if (job is not null) Deleted.Add(job.Id);
    }
}

/// <summary>The in-process coordinator with its sweeps: store, fake file work, runner (trials' data made ready at once).</summary>
public sealed class SweepCoordinator
{
    public const string File = """
        base: {num_train_epochs: 3, eval_strategy: epoch}
        metric: eval_accuracy
        trials: 4
        workers_per_trial: 1
        sampler: random
        early_stopping: {type: asha, grace_period: 1, max_t: 3, reduction_factor: 2}
        space:
          learning_rate: {loguniform: [1.0e-5, 1.0e-3]}
        """;

    public InProcessCoordinator C { get; }
    public SweepStore Sweeps { get; }
    public FakeSweepWork Work { get; }
    public SweepRunner Runner { get; }

    /// <param name="pushes">the coordinator's pushes (tests that push to a test hub), else none</param>
    public SweepCoordinator(string? dataDir = null, Func<InProcessCoordinator, JobPushes>? pushes = null)
    {
        C = new InProcessCoordinator(dataDir);
        Sweeps = new SweepStore(C.Options, NullLogger<SweepStore>.Instance);
        Work = new FakeSweepWork(Sweeps, C.Options, pushes?.Invoke(C));
        Runner = new SweepRunner(Sweeps, C.Jobs, C.Workers, C.Lifecycle, Work, NullLogger<SweepRunner>.Instance) { StartData = j => C.Lifecycle.OnDataReady(j) };
    }

    /// <summary>A sweep accepted and its splits written.</summary>
    public SweepRecord Submit(string text = File, string id = "sweep-1")
    {
        var sweep = Sweeps.Add(new SweepRecord(id, "sweep.yaml", text, SweepSpec.Parse(text, "sweep.yaml"), 1, null));
        Runner.Start(sweep).Wait();
        Assert.Equal(SweepStates.Running, sweep.State);
        return sweep;
    }

    public JobRecord TrialJob(SweepRecord sweep, int index) => C.Jobs.Find(sweep.TrialJobs[index])!;

    /// <summary>Both schedulers once, then each worker's heartbeat (assignments delivered, ended jobs let go).</summary>
    public async Task Tick()
    {
        Runner.Tick();
        await C.Scheduler.Tick();
        foreach (var name in new[] { "worker-0", "worker-1" })
            if (C.Workers.FindByName(name) is { } w && (w.JobId is null || C.Jobs.Find(w.JobId) is { State: JobState.Running })) C.Idle(w);
    }

    /// <summary>The sweep's test job (kind evaluate), once scoring started.</summary>
    public JobRecord TestJob(SweepRecord sweep) => C.Jobs.Find(sweep.TestJob!)!;

    /// <summary>The running test job ends as its worker would end it: its final evaluation recorded, then succeeded.</summary>
    public void Score(JobRecord test, double accuracy, int samples)
    {
        Assert.Equal(JobState.Running, test.State);
        C.Jobs.Update(test, j => Do(() => j.FinalEval = new FineTune.Core.Training.EvalResult(accuracy, accuracy, 0.5, [], [], ["0", "1"], samples)));
        Assert.True(C.Lifecycle.Succeed(test));
    }

    static bool Do(Action action)
    {
        action();
        return true;
    }

    /// <summary>Rank 0 of a running trial logs an evaluation of the metric.</summary>
    public void Evaluate(JobRecord job, double accuracy) =>
        Assert.True(C.Lifecycle.OnLog(job, job.Generation, new LogEvent { Step = job.History.Count + 1, Values = { ["eval_accuracy"] = accuracy } }));
}
