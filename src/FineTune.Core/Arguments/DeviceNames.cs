using System.Globalization;

namespace FineTune.Core.Arguments;

/// <summary>
/// The one reader of device names (auto, cpu, cuda, cuda:N), for the job's `device` option, a worker's --device, the
/// AppHost's --Device and the coordinator's placement. Torch-free: the AppHost compiles this file in, as it does
/// ServiceSettings.cs, and <see cref="DeviceChoice"/> asks libtorch only what this cannot know.
/// </summary>
public static class DeviceNames
{
    public const string Auto = "auto";
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";

    /// <summary>cpu, cuda or cuda:N: a device a process can be started on (jobs may also say auto).</summary>
    public static bool IsName(string name) => name == Cpu || IsCuda(name);

    /// <summary>What a job's `device` option may say: auto or a device name.</summary>
    public static bool IsJobDevice(string name) => name == Auto || IsName(name);

    /// <summary>cuda or cuda:N.</summary>
    public static bool IsCuda(string name) => CudaIndex(name) is not null;

    /// <summary>The CUDA ordinal of a device name (cuda: 0, cuda:N: N), or null for cpu and anything else.</summary>
    public static int? CudaIndex(string name) =>
        name == Cuda ? 0
        : name.StartsWith(Cuda + ":", StringComparison.Ordinal) && int.TryParse(name.AsSpan(Cuda.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : null;

    /// <summary>The name of GPU <paramref name="index"/>: cuda:N.</summary>
    public static string OfGpu(int index) => $"{Cuda}:{index.ToString(CultureInfo.InvariantCulture)}";
}
