using System.Globalization;

namespace FineTune.Core.Telemetry;

/// <summary>
/// One GPU opened through NVML, read in OpenTelemetry's units: utilization as a 0..1 ratio, memory in bytes, power in
/// watts, temperature in Celsius. A reading NVML refuses is null (and raises <see cref="ReadingFailed"/>), never zero.
/// Holds one NVML initialization (NVML counts them) until disposed.
/// </summary>
public sealed class NvmlGpu : IDisposable
{
    readonly INvml nvml;
    readonly nint device;
    int disposed;

    NvmlGpu(INvml nvml, nint device, string uuid, string name)
    {
        this.nvml = nvml;
        this.device = device;
        Uuid = uuid;
        Name = name;
    }

    /// <summary>NVML's UUID of the GPU (GPU-...): unique on the host, so it is the hw.id.</summary>
    public string Uuid { get; }

    /// <summary>The product name (NVIDIA H100 80GB HBM3); empty when NVML does not say.</summary>
    public string Name { get; }

    /// <summary>Which reading failed (utilization, memory, power, temperature) and NVML's words for why.</summary>
    public event Action<string, string>? ReadingFailed;

    /// <summary>
    /// The GPU that CUDA calls <paramref name="cudaIndex"/>, or null with the reason (NVML missing, no such GPU).
    /// CUDA numbers only the GPUs in CUDA_VISIBLE_DEVICES (<paramref name="visibleDevices"/>), NVML numbers all of them,
    /// so an entry there (an NVML index or a full GPU-/MIG- UUID) picks the GPU; without one the two numbers agree.
    /// </summary>
    public static NvmlGpu? Open(INvml nvml, int cudaIndex, string? visibleDevices, out string reason)
    {
        var code = nvml.Init();
        if (code != NvmlReturn.Success)
        {
            reason = $"NVML is not available: {nvml.ErrorString(code)}";
            return null;
        }
        var uuid = "";
        code = Handle(nvml, cudaIndex, visibleDevices, out var device);
        if (code == NvmlReturn.Success) code = nvml.DeviceGetUuid(device, out uuid); // the hw.id: no GPU without it
        if (code != NvmlReturn.Success)
        {
            reason = $"NVML has no GPU for cuda:{cudaIndex}{(string.IsNullOrEmpty(visibleDevices) ? "" : $" (CUDA_VISIBLE_DEVICES={visibleDevices})")}: {nvml.ErrorString(code)}";
            nvml.Shutdown();
            return null;
        }
        reason = "";
        return new NvmlGpu(nvml, device, uuid, nvml.DeviceGetName(device, out var name) == NvmlReturn.Success ? name : "");
    }

    static NvmlReturn Handle(INvml nvml, int cudaIndex, string? visibleDevices, out nint device)
    {
        var entries = (visibleDevices ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (cudaIndex < entries.Length)
        {
            var entry = entries[cudaIndex];
            if (uint.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out var physical)) return nvml.DeviceGetHandleByIndex(physical, out device);
            if (entry.StartsWith("GPU-", StringComparison.Ordinal) || entry.StartsWith("MIG-", StringComparison.Ordinal)) return nvml.DeviceGetHandleByUuid(entry, out device);
        }
        return nvml.DeviceGetHandleByIndex((uint)cudaIndex, out device);
    }

    /// <summary>Fraction (0..1) of the last sample period in which a kernel ran.</summary>
    public double? Utilization() => Ok(nvml.DeviceGetUtilizationRates(device, out var u), "utilization") ? u.Gpu / 100.0 : null;

    /// <summary>Used and total device memory in bytes.</summary>
    public NvmlMemory? Memory() => Ok(nvml.DeviceGetMemoryInfo(device, out var m), "memory") ? m : null;

    /// <summary>Power draw of the whole board in watts (NVML reports milliwatts).</summary>
    public double? PowerWatts() => Ok(nvml.DeviceGetPowerUsage(device, out var milliwatts), "power") ? milliwatts / 1000.0 : null;

    /// <summary>GPU die temperature in degrees Celsius.</summary>
    public double? TemperatureCelsius() => Ok(nvml.DeviceGetTemperature(device, out var celsius), "temperature") ? celsius : null;

    bool Ok(NvmlReturn code, string reading)
    {
        if (code == NvmlReturn.Success) return true;
        ReadingFailed?.Invoke(reading, nvml.ErrorString(code));
        return false;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) nvml.Shutdown();
    }
}
