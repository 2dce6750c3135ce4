namespace FineTune.Coordinator.Jobs;

/// <summary>
/// Which ready workers a job's group may come from, by the job's `device` option and each worker's own device (what
/// it registered: cpu, cuda:N). A `cuda` job runs on CUDA workers only; a `cpu` job on any worker (a CUDA worker trains
/// it on its CPU); an `auto` job on CUDA workers when enough are ready, else on CPU workers. A group never mixes CPU
/// and CUDA ranks, so every rank of it trains on the same kind of device.
/// </summary>
public static class Placement
{
    public static IReadOnlyList<WorkerInfo> Candidates(JobRecord job, IReadOnlyList<WorkerInfo> ready) =>
        Candidates(DeviceOf(job.Options), ready, job.RequestedWorkers);

    /// <summary>The job's `device`, where `collective: nccl` makes auto mean cuda (NCCL reduces GPU memory only).</summary>
    public static string DeviceOf(IReadOnlyDictionary<string, string> options)
    {
        var device = options.GetValueOrDefault("device", "auto");
        return device == "auto" && options.GetValueOrDefault("collective") == "nccl" ? "cuda" : device;
    }

    /// <param name="needed">the job's world size; 0: as many as are ready</param>
    public static IReadOnlyList<WorkerInfo> Candidates(string jobDevice, IReadOnlyList<WorkerInfo> ready, int needed)
    {
        var gpus = ready.Where(IsCuda).ToList();
        if (jobDevice == "cpu") return ready;
        if (jobDevice.StartsWith("cuda", StringComparison.Ordinal)) return gpus;
        return gpus.Count > 0 && gpus.Count >= Math.Max(1, needed) ? gpus : ready.Where(w => !IsCuda(w)).ToList();
    }

    static bool IsCuda(WorkerInfo w) => w.Device.StartsWith("cuda", StringComparison.Ordinal);
}
