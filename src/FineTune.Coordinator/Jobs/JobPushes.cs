using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Core;
using FineTune.Core.Hub;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// push_to_hub on the cluster: the coordinator pushes, with its own token (HF_TOKEN in its environment), in the
/// background and one push at a time per job: each checkpoint's model files as it arrives (hub_strategy every_save)
/// and the output folder once the job succeeded, or again when asked (PushJob). A push never fails or loses the job:
/// its state and reason are the job's <c>push</c> (job.json, the Jobs API, status).
/// </summary>
public sealed class JobPushes(JobStore jobs, CoordinatorOptions options, ILogger<JobPushes> log)
{
    readonly Dictionary<string, Task> running = [];
    readonly Lock gate = new();

    /// <summary>For tests: the hub client's HTTP layer and retry waits.</summary>
    public HttpMessageHandler? HubHandler { get; init; }
    public IReadOnlyList<TimeSpan>? HubRetryDelays { get; init; }

    /// <summary>A checkpoint stored for a job that pushes every save: its model files, "Training in progress, step N".</summary>
    public void OnCheckpoint(JobRecord job, string checkpoint)
    {
        if (!job.Spec.PushToHub || job.Spec.HubStrategy != "every_save" || options.Hub is null) return;
        var files = HubPush.CheckpointFiles(checkpoint).ToList(); // listed now: a later save_total_limit may rotate the folder away
        Enqueue(job, $"Training in progress, step {Path.GetFileName(checkpoint)["checkpoint-".Length..]}", files, final: false);
    }

    /// <summary>The job's output folder ("End of training"): after it succeeded, or again on request.</summary>
    public void PushOutput(JobRecord job) => Enqueue(job, "End of training", null, final: true);

    /// <summary>Waits for the job's pushes queued so far (tests).</summary>
    public Task Idle(string jobId)
    {
        lock (gate) return running.TryGetValue(jobId, out var task) ? task : Task.CompletedTask;
    }

    void Enqueue(JobRecord job, string summary, IReadOnlyList<FolderFile>? files, bool final)
    {
        if (final) Record(job, new JobPush { State = "pending", Repo = job.Spec.HubModelId ?? "", Revision = Revision(job) });
        lock (gate)
        {
            var before = running.TryGetValue(job.Id, out var task) ? task : Task.CompletedTask;
            running[job.Id] = before.ContinueWith(_ => PushAsync(job, summary, files, final), TaskScheduler.Default).Unwrap();
        }
    }

    async Task PushAsync(JobRecord job, string summary, IReadOnlyList<FolderFile>? files, bool final)
    {
        if (final) Record(job, new JobPush { State = "pushing", Repo = job.Spec.HubModelId ?? "", Revision = Revision(job) });
        try
        {
            using var client = new HubClient(options.Hub!, HubHandler) { RetryDelays = HubRetryDelays ?? HubClient.DefaultRetryDelays };
            var repo = await HubPush.RepoAsync(client, job.Spec.HubModelId!);
            var pushed = await client.PushAsync(repo, files ?? HubPush.OutputFiles(job.OutputDir), Revision(job), job.Spec.HubPrivateRepo, summary);
            log.LogInformation("job {Job}: pushed to {Repo}@{Revision}: commit {Commit} ({Summary})", job.Id, repo.Id, pushed.Revision, pushed.Commit, summary);
            if (final) Record(job, new JobPush { State = "pushed", Repo = repo.Id, Revision = pushed.Revision, Commit = pushed.Commit });
            else jobs.Publish(job, new JobEvent { JobId = job.Id, Message = $"pushed to {repo.Id}: {summary} (commit {pushed.Commit[..12]})" });
        }
        catch (Exception e)
        {
            var reason = ErrorText.FirstLine(Faults.Unwrap(e).Message);
            log.LogWarning(e, "job {Job}: pushing to the hub failed ({Summary})", job.Id, summary);
            if (final) Record(job, new JobPush { State = "failed", Repo = job.Spec.HubModelId ?? "", Revision = Revision(job), Error = reason });
            else jobs.Publish(job, new JobEvent { JobId = job.Id, Message = $"warning: pushing the checkpoint failed ({summary}): {reason}" });
        }
    }

    void Record(JobRecord job, JobPush push) => jobs.Update(job, j =>
    {
        j.Pushed(push);
        return true;
    });

    static string Revision(JobRecord job) => job.Spec.HubRevision ?? HubRevision.Default;
}
