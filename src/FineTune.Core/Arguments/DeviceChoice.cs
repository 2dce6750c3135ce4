using System.Globalization;
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

    /// <summary>The CUDA ordinal of a device name (cuda: 0, cuda:N: N), or null for cpu and anything else.</summary>
    public static int? CudaIndex(string name) => name switch
    {
        "cuda" => 0,
        _ when IsName(name) && name.StartsWith("cuda:", StringComparison.Ordinal) => int.Parse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture),
        _ => null,
    };

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
        name == "cpu" || (cudaAvailable ?? cuda.is_available())
            ? null
            : "CUDA is not available: this build carries the CPU libtorch (a GPU build is dotnet build -p:TorchBackend=cuda, on a machine with NVIDIA GPUs); use cpu";
}
