namespace FineTune.Core.Telemetry;

/// <summary>Reads a GPU once through NVML, for commands that print what a GPU is doing (the GPU check).</summary>
public static class GpuReadings
{
    /// <summary>The GPU CUDA calls cuda:<paramref name="index"/>, or null with the reason when NVML or that GPU is missing.</summary>
    public static GpuReading? Read(int index, out string reason) =>
        Read(NvmlNative.Instance, index, Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES"), out reason);

    internal static GpuReading? Read(INvml nvml, int index, string? visibleDevices, out string reason)
    {
        using var gpu = NvmlGpu.Open(nvml, index, visibleDevices, out reason);
        if (gpu is null) return null;
        var failures = new List<string>();
        gpu.ReadingFailed += (reading, why) => failures.Add($"{reading}: {why}");
        var memory = gpu.Memory();
        return new GpuReading(index, gpu.Uuid, gpu.Name, gpu.Utilization(), (long?)memory?.Used, (long?)memory?.Total,
            gpu.PowerWatts(), gpu.TemperatureCelsius(), failures);
    }
}
