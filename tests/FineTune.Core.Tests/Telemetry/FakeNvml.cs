using FineTune.Core.Telemetry;

namespace FineTune.Core.Tests.Telemetry;

/// <summary>NVML for unit tests: GPUs with fixed raw readings (percent, bytes, milliwatts, Celsius); a reading can be made to fail.</summary>
sealed class FakeNvml(params FakeNvml.Gpu[] gpus) : INvml
{
    public sealed class Gpu(string uuid, string name)
    {
        public string Uuid { get; } = uuid;
        public string Name { get; } = name;
        public uint UtilizationPercent { get; set; }
        public ulong MemoryUsed { get; set; }
        public ulong MemoryTotal { get; set; }
        public uint Milliwatts { get; set; }
        public uint Celsius { get; set; }
        /// <summary>Readings (utilization, memory, power, temperature) that answer this code instead.</summary>
        public Dictionary<string, NvmlReturn> Failing { get; } = [];
    }

    public NvmlReturn InitResult { get; set; } = NvmlReturn.Success;
    public int Inits { get; private set; }
    public int Shutdowns { get; private set; }
    public List<string> Lookups { get; } = [];

    public NvmlReturn Init()
    {
        if (InitResult == NvmlReturn.Success) Inits++;
        return InitResult;
    }

    public NvmlReturn Shutdown()
    {
        Shutdowns++;
        return NvmlReturn.Success;
    }

    public NvmlReturn DeviceGetHandleByIndex(uint index, out nint device)
    {
        Lookups.Add($"index {index}");
        device = index < gpus.Length ? (nint)(index + 1) : 0;
        return device != 0 ? NvmlReturn.Success : NvmlReturn.InvalidArgument;
    }

    public NvmlReturn DeviceGetHandleByUuid(string uuid, out nint device)
    {
        Lookups.Add($"uuid {uuid}");
        var i = Array.FindIndex(gpus, g => g.Uuid == uuid);
        device = i + 1;
        return i >= 0 ? NvmlReturn.Success : NvmlReturn.NotFound;
    }

    public NvmlReturn DeviceGetUuid(nint device, out string uuid)
    {
        uuid = Of(device).Uuid;
        return NvmlReturn.Success;
    }

    public NvmlReturn DeviceGetName(nint device, out string name)
    {
        name = Of(device).Name;
        return NvmlReturn.Success;
    }

    public NvmlReturn DeviceGetUtilizationRates(nint device, out NvmlUtilization utilization)
    {
        utilization = new NvmlUtilization { Gpu = Of(device).UtilizationPercent, Memory = 1 };
        return Result(device, "utilization");
    }

    public NvmlReturn DeviceGetMemoryInfo(nint device, out NvmlMemory memory)
    {
        var g = Of(device);
        memory = new NvmlMemory { Total = g.MemoryTotal, Used = g.MemoryUsed, Free = g.MemoryTotal - g.MemoryUsed };
        return Result(device, "memory");
    }

    public NvmlReturn DeviceGetTemperature(nint device, out uint celsius)
    {
        celsius = Of(device).Celsius;
        return Result(device, "temperature");
    }

    public NvmlReturn DeviceGetPowerUsage(nint device, out uint milliwatts)
    {
        milliwatts = Of(device).Milliwatts;
        return Result(device, "power");
    }

    public string ErrorString(NvmlReturn code) => code switch
    {
        NvmlReturn.LibraryNotFound => "libnvidia-ml.so.1 could not be loaded",
        NvmlReturn.NotSupported => "Not Supported",
        _ => $"error {(int)code}",
    };

    Gpu Of(nint device) => gpus[device - 1];

    NvmlReturn Result(nint device, string reading) => Of(device).Failing.GetValueOrDefault(reading, NvmlReturn.Success);
}
