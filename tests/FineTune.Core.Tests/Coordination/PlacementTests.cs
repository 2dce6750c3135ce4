using FineTune.Contracts.V1;

namespace FineTune.Core.Tests.Coordination;

/// <summary>Where a job's ranks go: CUDA jobs on CUDA workers, auto on GPUs when enough are ready, never a mixed group.</summary>
public class PlacementTests
{
    readonly InProcessCoordinator c = new();

    [Fact]
    public async Task A_cuda_job_waits_for_cuda_workers_and_a_cpu_job_takes_any()
    {
        var gpuJob = c.Submit(workers: 2, id: "job-a", device: "cuda");
        c.Join("cpu-0");
        c.Join("cpu-1");
        c.Join("gpu-0", "cuda:0");
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Queued, gpuJob.State); // two CPU workers and one GPU: not a CUDA group of two
        c.Join("gpu-1", "cuda:1");
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Running, gpuJob.State);
        Assert.Equal(["gpu-0", "gpu-1"], gpuJob.Workers);

        var cpuJob = c.Submit(workers: 2, id: "job-b", device: "cpu");
        await c.Scheduler.Tick();
        Assert.Equal(["cpu-0", "cpu-1"], cpuJob.Workers);
    }

    [Fact]
    public async Task An_auto_job_runs_on_gpus_when_enough_are_ready_else_on_cpus_never_on_both()
    {
        c.Join("cpu-0");
        c.Join("cpu-1");
        c.Join("gpu-0", "cuda:0");
        var onCpus = c.Submit(workers: 2, id: "job-a"); // one GPU is not enough for two ranks: the CPU workers
        await c.Scheduler.Tick();
        Assert.Equal(["cpu-0", "cpu-1"], onCpus.Workers);

        var d = new InProcessCoordinator();
        d.Join("cpu-0");
        d.Join("gpu-0", "cuda:0");
        d.Join("gpu-1", "cuda:1");
        var onGpus = d.Submit(workers: 2, device: "auto");
        await d.Scheduler.Tick();
        Assert.Equal(["gpu-0", "gpu-1"], onGpus.Workers);

        var e = new InProcessCoordinator();
        e.Join("cpu-0");
        e.Join("gpu-0", "cuda:0");
        var waits = e.Submit(workers: 2);
        await e.Scheduler.Tick();
        Assert.Equal(JobState.Queued, waits.State); // one of each kind: never one group of both
    }

    [Theory]
    [InlineData("auto", "nccl", "cuda")] // NCCL reduces GPU memory only: an auto job that asks for it needs CUDA workers
    [InlineData("auto", "ring", "auto")]
    [InlineData("auto", null, "auto")]
    [InlineData("cpu", "ring", "cpu")]
    public void A_job_asking_for_nccl_is_placed_as_a_cuda_job(string device, string? collective, string expected)
    {
        var spec = new FineTune.Core.Arguments.TrainingArguments { Device = device, Collective = collective ?? "auto" };
        Assert.Equal(expected, FineTune.Coordinator.Jobs.Placement.DeviceOf(spec));
    }
}
