using FineTune.Core;
using FineTune.Core.Checkpointing;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// The checkpoints rank 0 uploads while a job trains, kept by the coordinator under the job's folder, so a recovery
/// on other workers (or after a coordinator restart) resumes from the newest one. save_total_limit applies here as
/// in `finetune train`: the oldest go first, never the best.
/// </summary>
public sealed class JobCheckpoints(JobStore jobs, CoordinatorOptions options, ILogger<JobCheckpoints> log, JobPushes? pushes = null)
{
    readonly Lock gate = new();

    /// <summary>Moves a fully received checkpoint folder into place and records it as the job's newest.</summary>
    public void Keep(JobRecord job, AtomicFolder.Pending received, string name)
    {
        if (!File.Exists(Path.Combine(received.Path, Checkpoints.StateFile)))
            throw new InvalidDataException($"{name}: incomplete upload ({Checkpoints.StateFile} missing)");
        var dir = options.CheckpointsDir(job.Id);
        var target = received.Target;
        lock (gate)
        {
            received.Commit(replace: true); // the same step saved again after a recovery replaces the old folder
            var best = TrainerState.Load(Path.Combine(target, Checkpoints.StateFile)).BestModelCheckpoint is string b ? Path.Combine(dir, Path.GetFileName(b)) : null;
            if (job.Spec.SaveTotalLimit is { } limit) Checkpoints.Rotate(dir, limit, best);
            jobs.Update(job, j =>
            {
                j.LastCheckpoint = name;
                j.BestCheckpoint = best is not null && Directory.Exists(best) ? best : j.BestCheckpoint;
            });
        }
        log.LogInformation("job {Job}: {Checkpoint} stored", job.Id, name);
        pushes?.OnCheckpoint(job, target); // hub_strategy every_save: in the background
    }
}
