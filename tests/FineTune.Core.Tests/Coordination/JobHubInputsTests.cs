using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core.Hub;
using FineTune.Core.Tests.Hub;
using FineTune.Core.Tests.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Core.Tests.Coordination;

/// <summary>A job naming its model by hub id: downloaded by the data work after acceptance, its commit recorded; refusals fail it, outages recover.</summary>
public class JobHubInputsTests
{
    const string ModelId = "google-bert/bert-base-cased";

    static (InProcessCoordinator C, JobDataWork Work, JobRecord Job, FakeHub Hub) Accepted(string modelId = ModelId, int maxLength = 32)
    {
        var (model, dataset, _) = TinyJobs.Setup(40);
        var hub = new FakeHub();
        foreach (var file in Directory.GetFiles(model))
            hub.Add(ModelId, Path.GetFileName(file), File.ReadAllBytes(file), lfs: file.EndsWith(".safetensors", StringComparison.Ordinal));
        var c = new InProcessCoordinator();
        var options = c.Options with
        {
            Hub = new HubSettings(new Uri(FakeHub.Endpoint), null, false, Path.Combine(c.Options.DataDir, "hub")),
            DataRoots = [Path.GetDirectoryName(dataset)!],
        };
        var work = new JobDataWork(c.Jobs, c.Lifecycle, new TokenizationCache(options), options, NullLogger<JobDataWork>.Instance)
        {
            ProgressInterval = TimeSpan.Zero,
            HubHandler = hub,
            HubRetryDelays = [TimeSpan.Zero],
        };
        var spec = JobSpec.Parse(new Dictionary<string, string> { ["model"] = modelId, ["dataset"] = dataset, ["num_train_epochs"] = "1", ["max_length"] = $"{maxLength}" }, options);
        JobSpec.Check(spec); // Submit: the id's form only, no request
        Assert.Empty(hub.Log);
        return (c, work, c.Accept(spec), hub);
    }

    [Fact]
    public void The_data_work_downloads_the_model_records_its_commit_and_the_job_may_run()
    {
        var (_, work, job, hub) = Accepted();
        work.Prepare(job);
        Assert.True(job.DataReady, job.Error);
        Assert.Equal(ModelId, (string?)job.Hub?["model"]?["id"]);
        Assert.Equal(FakeHub.Commit, (string?)job.Hub?["model"]?["commit"]);
        Assert.Equal(ModelId, job.Spec.Model); // the spec keeps the id; the snapshot is where it is read
        var cache = new HubCache(Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(job.Spec.Dataset)!)!, "unused"));
        Assert.Equal(cache.SnapshotFolder(HubRepo.Parse(HubRepo.Model, ModelId, "model"), FakeHub.Commit), job.LocalSpec(cache).Model);
        Assert.Contains(hub.Log, r => r.Url.EndsWith("/api/models/google-bert/bert-base-cased/revision/main", StringComparison.Ordinal));
        var message = JobStore.ToMessage(job);
        Assert.Equal(("model", ModelId, "main", FakeHub.Commit), (message.HubSources[0].Input, message.HubSources[0].Id, message.HubSources[0].Revision, message.HubSources[0].Commit));
    }

    [Fact]
    public void A_repo_the_hub_does_not_have_fails_the_job_as_invalid_input_in_one_line()
    {
        var (_, work, job, _) = Accepted("org/no-such-model");
        work.Prepare(job);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(FailureKind.InvalidInput, job.FailureKind);
        Assert.Equal("hub.test/api/models/org/no-such-model/revision/main: repository not found (a private or gated repo needs HF_TOKEN, which is not set)", job.Error);
        Assert.Equal(0, job.Restarts);
    }

    [Fact]
    public void The_checks_that_need_the_files_run_once_they_are_in_the_cache()
    {
        var (_, work, job, _) = Accepted(maxLength: 128); // accepted: Submit could not read the model's positions
        work.Prepare(job);
        Assert.Equal(FailureKind.InvalidInput, job.FailureKind);
        Assert.StartsWith("--max-length (max_length): 128 is beyond the model's 64 positions", job.Error);
        Assert.Equal(FakeHub.Commit, (string?)job.Hub?["model"]?["commit"]); // what it was checked against is on record
    }

    [Fact]
    public void A_hub_outage_after_the_retries_counts_as_a_recovery_and_the_work_runs_again()
    {
        var (_, work, job, hub) = Accepted();
        hub.Failures = 2; // the client's two attempts both fail: one recovery, then the hub answers
        work.Prepare(job);
        Assert.True(job.DataReady, job.Error);
        Assert.Equal(1, job.Restarts);
        Assert.StartsWith("reading the data: HubUnavailableException: http://hub.test/api/models/google-bert/bert-base-cased/revision/main: HTTP 500 after 2 attempts", job.Recoveries[0].Reason);
        Assert.Equal(DataPhase.Ready, job.Data.Phase);
    }
}
