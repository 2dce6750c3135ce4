using FineTune.ServiceDefaults;
using Microsoft.Extensions.Configuration;

namespace FineTune.AppHost;

/// <summary>The AppHost's settings (Workers, Device, Threads, Demo, DataDir, CoordinatorPort), validated up front.</summary>
public sealed record ClusterSettings(int Workers, string Device, int Threads, bool Demo, string DataDir, int CoordinatorPort)
{
    /// <summary>Reads and checks every setting; a bad value throws <see cref="SettingsException"/> naming it (--Workers abc: ...).</summary>
    public static ClusterSettings From(IConfiguration c)
    {
        var s = new ServiceSettings(c, section: null); // top-level keys: --Workers 3, or the environment Workers=3
        var device = s.Choice("Device", "cpu", ["cpu", "cuda"]);
        int gpus = device == "cuda" ? GpuCount() : 0;
        if (device == "cuda" && gpus == 0 && s.Find("Workers") is null) throw new SettingsException("--Device cuda: no CUDA devices found (/dev/nvidia0, ...); give --Workers N");
        int workers = s.Int("Workers", device == "cuda" ? gpus : 2, min: 1);
        int threads = s.Int("Threads", Math.Max(1, Environment.ProcessorCount / workers), min: 1);
        var demo = s.Bool("Demo", true);
        var dataDir = s.String("DataDir") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "finetune", "apphost");
        int port = s.Port("CoordinatorPort") ?? 5100;
        return new ClusterSettings(workers, device, threads, demo, Path.GetFullPath(dataDir), port);
    }

    /// <summary>Worker i's device: cuda:i on a GPU machine (one worker per GPU), else cpu.</summary>
    public string DeviceOf(int worker) => Device == "cuda" ? $"cuda:{worker}" : "cpu";

    public string DataDirOf(string resource) => Path.Combine(DataDir, resource);

    // NVIDIA's driver makes one /dev/nvidiaN node per GPU; counting them needs no CUDA library in the AppHost.
    static int GpuCount() => Directory.Exists("/dev")
        ? Directory.GetFiles("/dev", "nvidia*").Count(f => Path.GetFileName(f)[6..] is { Length: > 0 } n && n.All(char.IsDigit))
        : 0;
}
