using Microsoft.Extensions.Configuration;

namespace FineTune.AppHost;

/// <summary>The AppHost's settings (Workers, Device, Threads, Demo, DataDir, CoordinatorPort), validated up front.</summary>
public sealed record ClusterSettings(int Workers, string Device, int Threads, bool Demo, string DataDir, int CoordinatorPort)
{
    public static ClusterSettings From(IConfiguration c)
    {
        var device = c["Device"] ?? "cpu";
        if (device is not ("cpu" or "cuda")) throw new ArgumentException($"--Device {device}: must be cpu or cuda");
        int gpus = device == "cuda" ? GpuCount() : 0;
        if (device == "cuda" && gpus == 0 && c["Workers"] is null) throw new ArgumentException("--Device cuda: no CUDA devices found (/dev/nvidia0, ...); give --Workers N");
        int workers = Int(c, "Workers", device == "cuda" ? gpus : 2, min: 1);
        int threads = Int(c, "Threads", Math.Max(1, Environment.ProcessorCount / workers), min: 1);
        var demo = c["Demo"] is not string d || (bool.TryParse(d, out var b) ? b : throw new ArgumentException($"--Demo {d}: must be true or false"));
        var dataDir = c["DataDir"] ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "finetune", "apphost");
        int port = Int(c, "CoordinatorPort", 5100, min: 1);
        return new ClusterSettings(workers, device, threads, demo, Path.GetFullPath(dataDir), port);
    }

    /// <summary>Worker i's device: cuda:i on a GPU machine (one worker per GPU), else cpu.</summary>
    public string DeviceOf(int worker) => Device == "cuda" ? $"cuda:{worker}" : "cpu";

    public string DataDirOf(string resource) => Path.Combine(DataDir, resource);

    static int Int(IConfiguration c, string key, int fallback, int min)
    {
        var text = c[key];
        if (text is null) return fallback;
        return int.TryParse(text, out var v) && v >= min ? v : throw new ArgumentException($"--{key} {text}: must be an integer >= {min}");
    }

    // NVIDIA's driver makes one /dev/nvidiaN node per GPU; counting them needs no CUDA library in the AppHost.
    static int GpuCount() => Directory.Exists("/dev")
        ? Directory.GetFiles("/dev", "nvidia*").Count(f => Path.GetFileName(f)[6..] is { Length: > 0 } n && n.All(char.IsDigit))
        : 0;
}
