using FineTune.Cluster.Tests.Hub;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Coordinator.Services;
using FineTune.Coordinator.Sweeps;
using FineTune.Core.Hub;
using FineTune.Core.Sweeps;
using FineTune.Core.Tests.Modeling;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Core.Tests.Coordination;

/// <summary>
/// A sweep's output on the hub (the test hub, the coordinator's token): the best trial's output folder with the sweep's
/// report written into it, pushed as that job's push once the sweep succeeded when its base says push_to_hub, and on
/// PushJob of the sweep's id; the trials never push; a sweep that has not succeeded is refused.
/// </summary>
public sealed class SweepPushTests : IAsyncLifetime
{
    const string Repo = TestHub.WriterUser + "/swept";
    TestHub hub = null!;
    SweepCoordinator s = null!;
    JobPushes pushes = null!;
    JobsService api = null!;

    public async Task InitializeAsync()
    {
        hub = await TestHub.StartAsync([]);
        s = new SweepCoordinator(pushes: c => pushes = new JobPushes(c.Jobs, WithHub(c), NullLogger<JobPushes>.Instance) { HubRetryDelays = [TimeSpan.Zero] });
        var options = WithHub(s.C);
        var data = new JobDataWork(s.C.Jobs, s.C.Lifecycle, new TokenizationCache(options), options, NullLogger<JobDataWork>.Instance);
        api = new JobsService(s.C.Jobs, s.C.Lifecycle, s.C.Workers, options, data, pushes, s.Sweeps, s.Runner);
        s.C.Join("worker-0");
        s.C.Join("worker-1");
    }

    public async Task DisposeAsync() => await hub.DisposeAsync();

    CoordinatorOptions WithHub(InProcessCoordinator c) =>
        c.Options with { Hub = new HubSettings(hub.Endpoint, TestHub.WriterToken, false, Path.Combine(c.Options.DataDir, "hub")) };

    /// <summary>A 2-trial sweep whose base adds <paramref name="push"/>, running its two trials.</summary>
    async Task<SweepRecord> Running(string push)
    {
        var sweep = s.Submit(SweepCoordinator.File.Replace("trials: 4", "trials: 2").Replace("eval_strategy: epoch}", $"eval_strategy: epoch, {push}}}"));
        await s.Tick();
        Assert.Equal(2, sweep.Trials.Count);
        return sweep;
    }

    /// <summary>Each trial's job writes a model and succeeds (trial 1 the better); the sweep scores its best and writes its report into the best's output.</summary>
    async Task<(JobRecord Best, JobRecord Other)> Succeed(SweepRecord sweep)
    {
        var (t0, t1) = (s.TrialJob(sweep, 0), s.TrialJob(sweep, 1));
        foreach (var (job, accuracy) in new[] { (t0, 0.7), (t1, 0.85) })
        {
            Assert.False(job.Spec.PushToHub); // a trial never pushes, whatever its base says
            Directory.CreateDirectory(job.OutputDir);
            using (TinyModels.WriteFolder(job.OutputDir)) { }
            s.Evaluate(job, accuracy);
            Assert.True(s.C.Lifecycle.Succeed(job));
        }
        await s.Tick(); // scoring: the test job created
        await s.Tick(); // ... and running
        s.Score(s.TestJob(sweep), 0.75, 40);
        await s.Tick();
        Assert.Equal((SweepStates.Succeeded, 1), (sweep.State, sweep.BestTrial));
        Assert.True(File.Exists(Path.Combine(t1.OutputDir, SweepReport.MarkdownFile)));
        return (t1, t0);
    }

    /// <summary>The files of the repo's head: the best's model weights and the sweep's report among them.</summary>
    void AssertPushedOutput(JobRecord best)
    {
        Assert.Equal(("pushed", Repo), (best.Push?.State, best.Push?.Repo));
        var head = hub.Repo(Repo).Head;
        Assert.Equal(head.Id, best.Push!.Commit);
        foreach (var file in new[] { "model.safetensors", "config.json", "vocab.txt", SweepReport.MarkdownFile, SweepReport.JsonFile })
            Assert.Contains(file, head.Files.Keys);
        Assert.Equal(File.ReadAllBytes(Path.Combine(best.OutputDir, SweepReport.MarkdownFile)), head.Files[SweepReport.MarkdownFile].Bytes);
        Assert.Equal(File.ReadAllBytes(Path.Combine(best.OutputDir, "model.safetensors")), head.Files["model.safetensors"].Bytes);
    }

    [Fact]
    public async Task A_sweep_whose_base_pushes_pushes_its_best_trials_output_with_its_report_once_it_succeeded()
    {
        var sweep = await Running($"push_to_hub: true, hub_model_id: {Repo}");
        var (best, other) = await Succeed(sweep);
        await pushes.Idle(best.Id);
        AssertPushedOutput(best);
        Assert.Null(other.Push); // the other trial pushed nothing
    }

    [Fact]
    public async Task PushJob_of_a_sweep_id_pushes_its_best_trials_output_with_the_sweeps_report()
    {
        var sweep = await Running($"hub_model_id: {Repo}");
        var (best, _) = await Succeed(sweep);
        Assert.Null(best.Push); // no push_to_hub in the base: nothing pushed by itself
        var reply = await api.PushJob(new PushJobRequest { JobId = sweep.Id }, null!);
        Assert.Equal((best.Id, sweep.Id), (reply.Id, reply.SweepId)); // the best trial's job, its push started
        Assert.True(reply.Push.State is "pending" or "pushing" or "pushed", reply.Push.State); // the push runs in the background: the reply may come after it began
        await pushes.Idle(best.Id);
        AssertPushedOutput(best);
    }

    [Fact]
    public async Task PushJob_refuses_a_sweep_that_has_not_succeeded_or_names_no_hub_model_id()
    {
        var sweep = await Running("hub_strategy: end");
        var e = await Assert.ThrowsAsync<RpcException>(() => api.PushJob(new PushJobRequest { JobId = sweep.Id }, null!));
        Assert.Equal((StatusCode.FailedPrecondition, "sweep sweep-1 is running: only a succeeded sweep's output (its best trial's model, scored on the test set, with the sweep's report) is pushed"),
            (e.StatusCode, e.Status.Detail));
        await Succeed(sweep);
        e = await Assert.ThrowsAsync<RpcException>(() => api.PushJob(new PushJobRequest { JobId = sweep.Id }, null!));
        Assert.Equal((StatusCode.FailedPrecondition, "sweep sweep-1 names no hub_model_id to push to (set it in its base)"), (e.StatusCode, e.Status.Detail));
        Assert.Empty(hub.Repos);
    }
}
