using System.Runtime.InteropServices;

namespace FineTune.Core.Telemetry;

/// <summary>
/// NVML from the NVIDIA driver (libnvidia-ml.so.1; no .NET binding is served here). The library is loaded on the first
/// call: where it is missing, <see cref="Init"/> answers <see cref="NvmlReturn.LibraryNotFound"/> instead of throwing.
/// </summary>
public sealed partial class NvmlNative : INvml
{
    public static readonly NvmlNative Instance = new();

    const string Library = "libnvidia-ml.so.1"; // the driver installs no unversioned libnvidia-ml.so without the dev package
    const int TextBuffer = 96; // NVML_DEVICE_UUID_V2_BUFFER_SIZE and NVML_DEVICE_NAME_V2_BUFFER_SIZE
    const int TemperatureGpu = 0; // NVML_TEMPERATURE_GPU

    NvmlNative() { }

    public NvmlReturn Init()
    {
        try { return nvmlInit_v2(); }
        catch (DllNotFoundException) { return NvmlReturn.LibraryNotFound; }
        catch (EntryPointNotFoundException) { return NvmlReturn.FunctionNotFound; }
    }

    public NvmlReturn Shutdown() => nvmlShutdown();
    public NvmlReturn DeviceGetHandleByIndex(uint index, out nint device) => nvmlDeviceGetHandleByIndex_v2(index, out device);
    public NvmlReturn DeviceGetHandleByUuid(string uuid, out nint device) => nvmlDeviceGetHandleByUUID(uuid, out device);
    public NvmlReturn DeviceGetUtilizationRates(nint device, out NvmlUtilization utilization) => nvmlDeviceGetUtilizationRates(device, out utilization);
    public NvmlReturn DeviceGetMemoryInfo(nint device, out NvmlMemory memory) => nvmlDeviceGetMemoryInfo(device, out memory);
    public NvmlReturn DeviceGetTemperature(nint device, out uint celsius) => nvmlDeviceGetTemperature(device, TemperatureGpu, out celsius);
    public NvmlReturn DeviceGetPowerUsage(nint device, out uint milliwatts) => nvmlDeviceGetPowerUsage(device, out milliwatts);

    public unsafe NvmlReturn DeviceGetUuid(nint device, out string uuid)
    {
        byte* buffer = stackalloc byte[TextBuffer];
        var code = nvmlDeviceGetUUID(device, buffer, TextBuffer);
        uuid = code == NvmlReturn.Success ? Marshal.PtrToStringUTF8((nint)buffer) ?? "" : "";
        return code;
    }

    public unsafe NvmlReturn DeviceGetName(nint device, out string name)
    {
        byte* buffer = stackalloc byte[TextBuffer];
        var code = nvmlDeviceGetName(device, buffer, TextBuffer);
        name = code == NvmlReturn.Success ? Marshal.PtrToStringUTF8((nint)buffer) ?? "" : "";
        return code;
    }

    public string ErrorString(NvmlReturn code)
    {
        if (code == NvmlReturn.LibraryNotFound) return $"{Library} could not be loaded (NVML comes with the NVIDIA driver)";
        try { return Marshal.PtrToStringUTF8(nvmlErrorString(code)) ?? $"NVML error {(int)code}"; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return $"NVML error {(int)code}"; }
    }

    [LibraryImport(Library)] private static partial NvmlReturn nvmlInit_v2();
    [LibraryImport(Library)] private static partial NvmlReturn nvmlShutdown();
    [LibraryImport(Library)] private static partial NvmlReturn nvmlDeviceGetHandleByIndex_v2(uint index, out nint device);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] private static partial NvmlReturn nvmlDeviceGetHandleByUUID(string uuid, out nint device);
    [LibraryImport(Library)] private static unsafe partial NvmlReturn nvmlDeviceGetUUID(nint device, byte* uuid, uint length);
    [LibraryImport(Library)] private static unsafe partial NvmlReturn nvmlDeviceGetName(nint device, byte* name, uint length);
    [LibraryImport(Library)] private static partial NvmlReturn nvmlDeviceGetUtilizationRates(nint device, out NvmlUtilization utilization);
    [LibraryImport(Library)] private static partial NvmlReturn nvmlDeviceGetMemoryInfo(nint device, out NvmlMemory memory);
    [LibraryImport(Library)] private static partial NvmlReturn nvmlDeviceGetTemperature(nint device, int sensor, out uint celsius);
    [LibraryImport(Library)] private static partial NvmlReturn nvmlDeviceGetPowerUsage(nint device, out uint milliwatts);
    [LibraryImport(Library)] private static partial nint nvmlErrorString(NvmlReturn code);
}
