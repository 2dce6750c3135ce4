using FineTune.Core.Arguments;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// The one decision of where a job runs and on how many ranks, from its spec and the ready workers: asked at
/// submission (the world size of a job without --workers) and by the scheduler (the group), so the two never disagree.
/// A `cuda` job runs on CUDA workers only; a `cpu` job on any worker (a CUDA worker trains it on its CPU); an `auto` job
/// on CUDA workers when enough are ready, else on CPU workers; `collective: nccl` makes auto mean cuda (NCCL reduces GPU
/// memory only). A group never mixes CPU and CUDA ranks, so every rank of it trains on the same kind of device.
/// </summary>
public static class Placement
{
    /// <summary>The ready workers a job's group may come from, best first: those that run its kind (JobKinds).</summary>
    public static IReadOnlyList<WorkerInfo> Candidates(JobRecord job, IReadOnlyList<WorkerInfo> ready) =>
        Candidates(job.Spec, [.. ready.Where(w => w.JobKinds.Contains(job.Kind))], job.RequestedWorkers); // every worker runs train

    /// <summary>
    /// The world size of a job: its --workers, else the workers its group would be drawn from now, at least 1. An NCCL
    /// job submitted while no CUDA worker is ready is recorded with 1 rank and waits for a CUDA worker (it is not
    /// refused: GPU workers may join later, and the coordinator cannot know they never will).
    /// </summary>
    public static int WorldSize(TrainingArguments spec, IReadOnlyList<WorkerInfo> ready) =>
        spec.Workers ?? Math.Max(1, Candidates(spec, ready, needed: 0).Count);

    /// <summary>The device kind a job's group is drawn from: cpu, cuda (or cuda:N) or auto.</summary>
    public static string DeviceOf(TrainingArguments spec) =>
        spec.Device == DeviceNames.Auto && spec.Collective == "nccl" ? DeviceNames.Cuda : spec.Device;

    /// <param name="needed">the job's world size; 0: as many as are ready</param>
    static IReadOnlyList<WorkerInfo> Candidates(TrainingArguments spec, IReadOnlyList<WorkerInfo> ready, int needed)
    {
        var device = DeviceOf(spec);
        var gpus = ready.Where(IsCuda).ToList();
        if (device == DeviceNames.Cpu) return ready;
        if (DeviceNames.IsCuda(device)) return gpus;
        return gpus.Count > 0 && gpus.Count >= Math.Max(1, needed) ? gpus : ready.Where(w => !IsCuda(w)).ToList();
    }

    static bool IsCuda(WorkerInfo w) => DeviceNames.IsCuda(w.Device);
}
