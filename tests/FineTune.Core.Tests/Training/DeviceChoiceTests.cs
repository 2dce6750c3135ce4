using FineTune.Core.Arguments;
using TorchSharp;

namespace FineTune.Core.Tests.Training;

/// <summary>Which device a rank trains on: the worker's --device and the job's `device`, decided in one place.</summary>
public class DeviceChoiceTests
{
    [Theory]
    [InlineData(null, "auto", 0, "cpu")] // finetune train: the CPU when there is no GPU
    [InlineData(null, "auto", 2, "cuda")] // ... and a GPU when there is one, as Hugging Face's Trainer does
    [InlineData(null, "cpu", 2, "cpu")]
    [InlineData(null, "cuda:1", 2, "cuda:1")]
    [InlineData("cpu", "auto", 0, "cpu")]
    [InlineData("cpu", "cpu", 0, "cpu")]
    [InlineData("cuda:2", "auto", 4, "cuda:2")] // a GPU worker trains on its own GPU
    [InlineData("cuda:2", "cuda", 4, "cuda:2")]
    [InlineData("cuda:2", "cuda:0", 4, "cuda:2")] // the worker knows which GPU is its own
    [InlineData("cuda:2", "cpu", 4, "cpu")] // a job may always ask for the CPU
    public void Resolves_the_worker_and_the_job(string? worker, string job, int gpus, string expected) =>
        Assert.Equal(expected, DeviceChoice.Resolve(worker, job, gpus).ToString());

    [Fact]
    public void Cuda_is_refused_by_the_resolver_when_unavailable()
    {
        var e = Assert.Throws<InvalidInputException>(() => DeviceChoice.Resolve(null, "cuda", gpus: 0));
        Assert.StartsWith("--device (device) cuda: CUDA is not available", e.Message);
        e = Assert.Throws<InvalidInputException>(() => DeviceChoice.Resolve("cuda:0", "auto", gpus: 0));
        Assert.StartsWith("--device (device) cuda:0: CUDA is not available", e.Message);
        Assert.Null(DeviceChoice.Unavailable("cpu", gpus: 0));
    }

    [Fact]
    public void A_gpu_the_machine_lacks_is_refused_with_the_range_it_has()
    {
        var e = Assert.Throws<InvalidInputException>(() => DeviceChoice.Resolve(null, "cuda:2", gpus: 2));
        Assert.Equal("--device (device) cuda:2: this machine has 2 CUDA device(s) (cuda:0 to cuda:1)", e.Message);
    }

    [Fact]
    public void A_job_asking_for_a_gpu_on_a_cpu_worker_is_refused()
    {
        var e = Assert.Throws<InvalidInputException>(() => DeviceChoice.Resolve("cpu", "cuda", gpus: 1));
        Assert.Contains("this worker trains on cpu", e.Message);
    }

    [Fact]
    public void Auto_follows_what_libtorch_sees() // the CPU libtorch here: auto is the CPU and cuda is refused
    {
        var expected = torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU;
        Assert.Equal(expected, DeviceChoice.Resolve(null, "auto").type);
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
    public void Device_names(string name, bool valid) => Assert.Equal(valid, DeviceNames.IsName(name));
}
