using System.Globalization;
using FineTune.Core.Torch;
using static TorchSharp.torch;

namespace FineTune.Core.Arguments;

/// <summary>
/// The one place that decides which torch device a rank trains on, from the worker's --device (what the machine
/// offers; null for `finetune train`, which has no worker) and the job's `device` option (what the job asks for).
/// Every refusal (a CUDA device in this CPU build, a job asking for a GPU on a CPU worker) comes from here, as an
/// <see cref="InvalidInputException"/> naming the device. The GPU work adds its cases here, not branches elsewhere.
/// </summary>
public static class DeviceChoice
{
    /// <summary>cpu, cuda or cuda:N: a device a worker can be started with (jobs may also say auto).</summary>
    public static bool IsName(string name) => name is "cpu" or "cuda"
        || name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _);

    /// <summary>
    /// The device to train on. Job auto: the worker's device (cpu for `finetune train` in this build). Job cpu: cpu,
    /// whatever the worker. Job cuda or cuda:N: the worker's own GPU (the worker knows which is its own), refused on a
    /// CPU worker. A CUDA device is refused unless CUDA is available (never in this CPU build).
    /// </summary>
    /// <param name="cudaAvailable">for tests; default: asks libtorch, and only when a CUDA device is chosen</param>
    public static Device Resolve(string? workerDevice, string jobDevice, bool? cudaAvailable = null)
    {
        var name = (workerDevice, jobDevice) switch
        {
            (null, "auto") => "cpu",
            (null, var job) => job,
            (var worker, "auto") => worker,
            (_, "cpu") => "cpu",
            ("cpu", var job) => throw new InvalidInputException($"--device (device) {job}: this worker trains on cpu (its --device): submit with --device cpu or auto, or start GPU workers"),
            (var worker, _) => worker,
        };
        if (!IsName(name)) throw new InvalidInputException($"--device (device) {name}: unknown device (choose auto, cpu, cuda or cuda:N)");
        if (Unavailable(name, cudaAvailable) is { } why) throw new InvalidInputException($"--device (device) {name}: {why}");
        return new Device(name);
    }

    /// <summary>Why this process cannot train on <paramref name="name"/> (cpu, cuda, cuda:N), or null when it can.</summary>
    public static string? Unavailable(string name, bool? cudaAvailable = null) =>
        name == "cpu" || (cudaAvailable ?? cuda.is_available()) ? null : $"CUDA is not available: {WhyNoCuda()}; use cpu";

    // What to change, by what this build carries (Torch/TorchBuild.cs).
    static string WhyNoCuda() => TorchBuild.Backend switch
    {
        "cpu" => "this build carries the CPU libtorch (a GPU build is dotnet build -p:TorchBackend=cuda, or -p:TorchBackend=external with FINETUNE_LIBTORCH naming a CUDA PyTorch's torch/lib, on a machine with NVIDIA GPUs)",
        "external" when LibTorchStartup.Current?.External is { } e && !e.Libraries.Any(l => l.EndsWith("libtorch_cuda.so", StringComparison.Ordinal))
            => $"the libtorch in {e.Folder} ({LibTorchLocation.Variable}) is a CPU build (no libtorch_cuda.so)",
        _ => "no NVIDIA GPU is visible to this process (check nvidia-smi and CUDA_VISIBLE_DEVICES)",
    };
}
