using System.Runtime.InteropServices;

namespace FineTune.Core.Telemetry;

/// <summary>
/// The few NVML calls GPU telemetry makes, as NVML defines them (raw units: percent, bytes, milliwatts, Celsius), so a
/// test can stand in a fake; <see cref="NvmlNative"/> is the driver's libnvidia-ml.so.1. Every call returns NVML's code.
/// </summary>
public interface INvml
{
    NvmlReturn Init();
    NvmlReturn Shutdown();
    NvmlReturn DeviceGetHandleByIndex(uint index, out nint device);
    NvmlReturn DeviceGetHandleByUuid(string uuid, out nint device);
    NvmlReturn DeviceGetUuid(nint device, out string uuid);
    NvmlReturn DeviceGetName(nint device, out string name);
    NvmlReturn DeviceGetUtilizationRates(nint device, out NvmlUtilization utilization);
    NvmlReturn DeviceGetMemoryInfo(nint device, out NvmlMemory memory);
    /// <summary>The GPU die sensor (NVML_TEMPERATURE_GPU).</summary>
    NvmlReturn DeviceGetTemperature(nint device, out uint celsius);
    NvmlReturn DeviceGetPowerUsage(nint device, out uint milliwatts);
    string ErrorString(NvmlReturn code);
}

/// <summary>nvmlReturn_t: the codes this project names; any other value is still passed through.</summary>
public enum NvmlReturn
{
    Success = 0,
    Uninitialized = 1,
    InvalidArgument = 2,
    NotSupported = 3,
    NoPermission = 4,
    NotFound = 6,
    DriverNotLoaded = 9,
    LibraryNotFound = 12,
    FunctionNotFound = 13,
    GpuIsLost = 15,
    Unknown = 999,
}

/// <summary>nvmlUtilization_t: percent of the last sample period the GPU (kernels) and its memory (reads/writes) were busy.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NvmlUtilization
{
    public uint Gpu;
    public uint Memory;
}

/// <summary>nvmlMemory_t (v1): bytes of device memory.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NvmlMemory
{
    public ulong Total;
    public ulong Free;
    public ulong Used;
}
