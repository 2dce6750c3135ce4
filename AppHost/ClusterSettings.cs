using FineTune.Core.Arguments;
using FineTune.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace FineTune.AppHost;

/// <summary>The AppHost's settings (Workers, Device, Threads, Demo, DataDir, CoordinatorPort), validated up front.</summary>
public sealed record ClusterSettings(int Workers, string Device, int Threads, bool Demo, string DataDir, int CoordinatorPort)
{
    /// <summary>
    /// Reads and checks every setting; a bad value throws <see cref="SettingsException"/> naming it (--Workers abc: ...).
    /// --Device auto (the default): one CUDA worker per GPU when the machine has GPUs and the workers carry CUDA
    /// libtorch (-p:TorchBackend=cuda, or an external build whose FINETUNE_LIBTORCH folder holds libtorch_cuda.so),
    /// else CPU workers; cpu or cuda force it.
    /// </summary>
    /// <param name="gpus">for tests: the GPUs the machine has (default: counted from /dev/nvidiaN)</param>
    /// <param name="torchBackend">for tests: the libtorch the workers were built with (default: this build's)</param>
    /// <param name="libtorch">for tests: FINETUNE_LIBTORCH (default: this process's, which the workers are given)</param>
    public static ClusterSettings From(IConfiguration c, int? gpus = null, string? torchBackend = null, string? libtorch = null)
    {
        var s = new ServiceSettings(c, section: null); // top-level keys: --Workers 3, or the environment Workers=3
        var asked = s.Choice("Device", DeviceNames.Auto, [DeviceNames.Auto, DeviceNames.Cpu, DeviceNames.Cuda]);
        int found = asked == DeviceNames.Cpu ? 0 : gpus ?? GpuCount();
        var device = asked != DeviceNames.Auto ? asked : found > 0 && CarriesCuda(torchBackend ?? TorchBackend, libtorch ?? LibTorch) ? DeviceNames.Cuda : DeviceNames.Cpu;
        int cudaWorkers = device == DeviceNames.Cuda ? found : 0;
        if (device == DeviceNames.Cuda && cudaWorkers == 0 && s.Find("Workers") is null) throw new SettingsException("--Device cuda: no CUDA devices found (/dev/nvidia0, ...); give --Workers N");
        int workers = s.Int("Workers", device == DeviceNames.Cuda ? cudaWorkers : 2, min: 1);
        int threads = s.Int("Threads", Math.Max(1, Environment.ProcessorCount / workers), min: 1);
        var demo = s.Bool("Demo", true);
        var dataDir = s.String("DataDir") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "finetune", "apphost");
        int port = s.Port("CoordinatorPort") ?? 5100;
        return new ClusterSettings(workers, device, threads, demo, Path.GetFullPath(dataDir), port);
    }

    /// <summary>Worker i's device: cuda:i on a GPU machine (one worker per GPU), else cpu.</summary>
    public string DeviceOf(int worker) => Device == DeviceNames.Cuda ? DeviceNames.OfGpu(worker) : DeviceNames.Cpu;

    public string DataDirOf(string resource) => Path.Combine(DataDir, resource);

    /// <summary>The libtorch this build's workers carry (cpu, cuda or external: -p:TorchBackend, stamped into the assembly).</summary>
    public static string TorchBackend { get; } = typeof(ClusterSettings).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TorchBackend")?.Value ?? "cpu";

    /// <summary>FINETUNE_LIBTORCH: the libtorch folder an external build's services load (forwarded to them).</summary>
    public static string? LibTorch => Environment.GetEnvironmentVariable("FINETUNE_LIBTORCH") is { Length: > 0 } v ? v : null;

    // An external build's CUDA is whatever its folder holds (FINETUNE_LIBTORCH=python is not run here: give --Device cuda).
    static bool CarriesCuda(string backend, string? libtorch) => backend == "cuda"
        || backend == "external" && libtorch is not null && File.Exists(Path.Combine(libtorch, "libtorch_cuda.so"));

    // NVIDIA's driver makes one /dev/nvidiaN node per GPU; counting them needs no CUDA library in the AppHost.
    static int GpuCount() => Directory.Exists("/dev")
        ? Directory.GetFiles("/dev", "nvidia*").Count(f => Path.GetFileName(f)[6..] is { Length: > 0 } n && n.All(char.IsDigit))
        : 0;
}
