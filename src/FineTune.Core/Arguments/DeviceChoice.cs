using FineTune.Core.Torch;
using static TorchSharp.torch;

namespace FineTune.Core.Arguments;

/// <summary>
/// The one place that decides which torch device a rank trains on, from the worker's --device (what the machine
/// offers; null for `finetune train/evaluate/predict`, which have no worker) and the job's `device` option (what the
/// job asks for). Every refusal (a GPU this process cannot use, a job asking for a GPU on a CPU worker) comes from
/// here, as an <see cref="InvalidInputException"/> naming the device.
/// </summary>
public static class DeviceChoice
{
    /// <summary>
    /// The device to train on. Without a worker: auto is a GPU when this process sees one (as Hugging Face's Trainer
    /// does), else the CPU. On a worker: auto is the worker's device; cpu is always allowed; cuda or cuda:N mean the
    /// worker's own GPU (the worker knows which is its own), refused on a CPU worker.
    /// </summary>
    /// <param name="gpus">for tests: how many CUDA devices this process sees; default: asks libtorch, only when needed</param>
    public static Device Resolve(string? workerDevice, string jobDevice, int? gpus = null)
    {
        var name = (workerDevice, jobDevice) switch
        {
            (null, "auto") => (gpus ?? CudaDevices()) > 0 ? "cuda" : "cpu",
            (null, var job) => job,
            (var worker, "auto") => worker,
            (_, "cpu") => "cpu",
            ("cpu", var job) => throw new InvalidInputException($"--device (device) {job}: this worker trains on cpu (its --device): submit with --device cpu or auto, or start GPU workers"),
            (var worker, _) => worker,
        };
        if (!DeviceNames.IsName(name)) throw new InvalidInputException($"--device (device) {name}: unknown device (choose auto, cpu, cuda or cuda:N)");
        if (Unavailable(name, gpus) is { } why) throw new InvalidInputException($"--device (device) {name}: {why}");
        return new Device(name);
    }

    /// <summary>Why this process cannot train on <paramref name="name"/> (cpu, cuda, cuda:N), or null when it can.</summary>
    public static string? Unavailable(string name, int? gpus = null)
    {
        if (DeviceNames.CudaIndex(name) is not int index) return null;
        int count = gpus ?? CudaDevices();
        return count == 0 ? $"CUDA is not available: {WhyNoCuda()}; use cpu"
            : index >= count ? $"this machine has {count} CUDA device(s) (cuda:0 to cuda:{count - 1})"
            : null;
    }

    /// <summary>CUDA devices libtorch sees (0 with the CPU libtorch).</summary>
    public static int CudaDevices() => cuda.is_available() ? cuda.device_count() : 0;

    // What to change, by what this build carries (Torch/TorchBuild.cs).
    static string WhyNoCuda() => TorchBuild.Backend switch
    {
        "cpu" => "this build carries the CPU libtorch (a GPU build is dotnet build -p:TorchBackend=cuda, or -p:TorchBackend=external with FINETUNE_LIBTORCH naming a CUDA PyTorch's torch/lib, on a machine with NVIDIA GPUs)",
        "external" when LibTorchStartup.Current?.External is { } e && !e.Libraries.Any(l => l.EndsWith("libtorch_cuda.so", StringComparison.Ordinal))
            => $"the libtorch in {e.Folder} ({LibTorchLocation.Variable}) is a CPU build (no libtorch_cuda.so)",
        _ => "no NVIDIA GPU is visible to this process (check nvidia-smi and CUDA_VISIBLE_DEVICES)",
    };
}
