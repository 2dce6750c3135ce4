using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core.Tests.Coordination;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Core.Tests.Coordination;

/// <summary>The coordinator's checks on what the ranks report, without processes.</summary>
public class JobCompletionTests
{
    static (JobStore Jobs, JobCompletion Completion, JobRecord Job) Running()
    {
        var coordinator = new InProcessCoordinator();
        return (coordinator.Jobs, coordinator.Completion, coordinator.Running("worker-0", "worker-1"));
    }

    [Fact]
    public void Ranks_that_disagree_after_an_evaluation_fail_the_job_loudly()
    {
        var (_, completion, job) = Running();
        completion.OnChecksum(job, job.Generation, 0, new ParameterChecksum { Step = 50, Sha256 = new string('a', 64) });
        Assert.Equal(JobState.Running, job.State); // waits for every rank
        completion.OnChecksum(job, job.Generation, 1, new ParameterChecksum { Step = 50, Sha256 = new string('b', 64) });
        Assert.Equal(JobState.Failed, job.State);
        Assert.Contains("parameters differ after the evaluation at step 50", job.Error);
        Assert.Contains("rank 1 bbbbbbbbbbbb", job.Error);
    }

    [Fact]
    public void Ranks_that_agree_keep_the_job_running()
    {
        var (_, completion, job) = Running();
        foreach (var rank in new[] { 0, 1 }) completion.OnChecksum(job, job.Generation, rank, new ParameterChecksum { Step = 50, Sha256 = new string('c', 64) });
        Assert.Equal(JobState.Running, job.State);
    }

    [Fact]
    public void Job_records_survive_a_restart_of_the_store()
    {
        var (jobs, _, job) = Running();
        jobs.Update(job, j => j.Cancel()); // a final state: reloaded as it was (a running one recovers: JobLifecycleTests)
        var dataDir = Path.GetDirectoryName(Path.GetDirectoryName(job.OutputDir)!)!;
        var reloaded = new JobStore(new CoordinatorOptions(Path.GetDirectoryName(dataDir)!), NullLogger<JobStore>.Instance);
        var again = reloaded.Find("job-1");
        Assert.NotNull(again);
        Assert.Equal(JobState.Cancelled, again.State);
        Assert.Equal(["worker-0", "worker-1"], again.Workers);
    }

    [Theory]
    [InlineData("coordinator:/uploads/abc/data.jsonl", true)]
    [InlineData("coordinator:/uploads/../jobs/x/job.json", false)]
    [InlineData("coordinator:/../../etc/passwd", false)]
    [InlineData("coordinator:/blobs/abc", false)]
    public void Coordinator_paths_are_confined_to_the_uploads_folder(string value, bool allowed)
    {
        var options = new CoordinatorOptions("/srv/finetune");
        if (allowed)
            Assert.Equal("/srv/finetune/uploads/abc/data.jsonl", JobSpec.Resolve(value, options, "dataset"));
        else
            Assert.Contains("outside the coordinator's roots", Assert.Throws<InvalidInputException>(() => JobSpec.Resolve(value, options, "dataset")).Message);
        // Any other coordinator path is refused unless it lies under a configured data root (JobPathsTests).
        Assert.Contains("outside the coordinator's roots", Assert.Throws<InvalidInputException>(() => JobSpec.Resolve("/local/data.csv", options, "dataset")).Message);
    }
}
