using FineTune.AppHost;
using Microsoft.Extensions.Configuration;

namespace FineTune.AppHost.Tests;

/// <summary>The AppHost's --Device: auto gives one CUDA worker per GPU where the workers can use them, else 2 CPU workers.</summary>
public class ClusterSettingsTests
{
    static ClusterSettings Read(int gpus, string backend, params string[] args) =>
        ClusterSettings.From(new ConfigurationBuilder().AddCommandLine(args).Build(), gpus, backend);

    [Fact]
    public void Auto_is_one_worker_per_gpu_on_a_cuda_build_with_gpus_else_two_cpu_workers()
    {
        var gpu = Read(gpus: 4, "cuda");
        Assert.Equal(("cuda", 4), (gpu.Device, gpu.Workers));
        Assert.Equal(["cuda:0", "cuda:1", "cuda:2", "cuda:3"], Enumerable.Range(0, 4).Select(gpu.DeviceOf));
        Assert.Equal(("cpu", 2), (Read(gpus: 0, "cuda").Device, Read(gpus: 0, "cuda").Workers));
        Assert.Equal(("cpu", 2), (Read(gpus: 4, "cpu").Device, Read(gpus: 4, "cpu").Workers)); // GPUs, but a CPU build's workers
        Assert.Equal("cpu", ClusterSettings.TorchBackend); // this build
    }

    [Fact]
    public void Auto_on_an_external_build_follows_the_libtorch_folder_it_is_given()
    {
        var folder = Path.Combine(Path.GetTempPath(), "finetune-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        Assert.Equal("cpu", External(folder).Device); // a CPU libtorch
        File.WriteAllText(Path.Combine(folder, "libtorch_cuda.so"), "");
        Assert.Equal(("cuda", 2), (External(folder).Device, External(folder).Workers));
        Assert.Equal("cpu", External("python").Device); // python is not run by the AppHost: --Device cuda says it

        static ClusterSettings External(string libtorch) => ClusterSettings.From(new ConfigurationBuilder().Build(), gpus: 2, "external", libtorch);
    }

    [Fact]
    public void Cpu_and_cuda_force_it_and_cuda_without_gpus_asks_for_a_count()
    {
        Assert.Equal(("cpu", 3), (Read(4, "cuda", "--Device", "cpu", "--Workers", "3").Device, Read(4, "cuda", "--Device", "cpu", "--Workers", "3").Workers));
        Assert.Equal("cuda", Read(2, "cpu", "--Device", "cuda").Device);
        var e = Assert.ThrowsAny<Exception>(() => Read(0, "cuda", "--Device", "cuda"));
        Assert.Equal("--Device cuda: no CUDA devices found (/dev/nvidia0, ...); give --Workers N", e.Message);
        Assert.StartsWith("--Device gpu:", Assert.ThrowsAny<Exception>(() => Read(0, "cpu", "--Device", "gpu")).Message);
    }
}
