using FineTune.Core.Arguments;
using TorchSharp;

namespace FineTune.Core.Tests.Training;

/// <summary>Which device a rank trains on: the worker's --device and the job's `device`, decided in one place.</summary>
public class DeviceChoiceTests
{
    [Theory]
    [InlineData(null, "auto", true, "cpu")] // finetune train: cpu in this build unless asked
    [InlineData(null, "cpu", true, "cpu")]
    [InlineData(null, "cuda:1", true, "cuda:1")]
    [InlineData("cpu", "auto", false, "cpu")]
    [InlineData("cpu", "cpu", false, "cpu")]
    [InlineData("cuda:2", "auto", true, "cuda:2")] // a GPU worker trains on its own GPU
    [InlineData("cuda:2", "cuda", true, "cuda:2")]
    [InlineData("cuda:2", "cuda:0", true, "cuda:2")] // the worker knows which GPU is its own
    [InlineData("cuda:2", "cpu", true, "cpu")] // a job may always ask for the CPU
    public void Resolves_the_worker_and_the_job(string? worker, string job, bool cudaAvailable, string expected) =>
        Assert.Equal(expected, DeviceChoice.Resolve(worker, job, cudaAvailable).ToString());

    [Fact]
    public void Cuda_is_refused_by_the_resolver_when_unavailable()
    {
        var e = Assert.Throws<InvalidInputException>(() => DeviceChoice.Resolve(null, "cuda", cudaAvailable: false));
        Assert.StartsWith("--device (device) cuda: CUDA is not available", e.Message);
        e = Assert.Throws<InvalidInputException>(() => DeviceChoice.Resolve("cuda:0", "auto", cudaAvailable: false));
        Assert.StartsWith("--device (device) cuda:0: CUDA is not available", e.Message);
        Assert.Null(DeviceChoice.Unavailable("cpu", cudaAvailable: false));
    }

    [Fact]
    public void A_job_asking_for_a_gpu_on_a_cpu_worker_is_refused()
    {
        var e = Assert.Throws<InvalidInputException>(() => DeviceChoice.Resolve("cpu", "cuda", cudaAvailable: true));
        Assert.Contains("this worker trains on cpu", e.Message);
    }

    [Fact]
    public void This_build_trains_on_the_cpu() // the CPU libtorch: what `finetune train` and every worker get here
    {
        Assert.Equal(DeviceType.CPU, DeviceChoice.Resolve(null, "auto").type);
        if (!torch.cuda.is_available()) Assert.Throws<InvalidInputException>(() => DeviceChoice.Resolve(null, "cuda"));
    }

    [Theory]
    [InlineData("cpu", true)]
    [InlineData("cuda", true)]
    [InlineData("cuda:12", true)]
    [InlineData("auto", false)]
    [InlineData("cuda:", false)]
    [InlineData("cuda:x", false)]
    [InlineData("gpu", false)]
    public void Device_names(string name, bool valid) => Assert.Equal(valid, DeviceChoice.IsName(name));
}
