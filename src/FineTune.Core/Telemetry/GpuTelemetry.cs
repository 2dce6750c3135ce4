using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FineTune.Core.Arguments;

namespace FineTune.Core.Telemetry;

/// <summary>
/// A CUDA worker's GPU as metrics, named by OpenTelemetry's hardware conventions (docs/telemetry.md): hw.gpu.utilization,
/// hw.gpu.memory.usage, hw.gpu.memory.limit, hw.power and hw.temperature, each read from NVML when the metrics are
/// collected, so nothing is polled while nobody listens. On a CPU worker, or where NVML is missing, no instrument exists
/// at all: the dashboard shows no GPU series rather than zeros. One per worker process, for its lifetime.
/// </summary>
public sealed class GpuTelemetry : IDisposable
{
    /// <summary>The worker's CUDA ordinal (cuda:N); the conventions have no GPU index attribute, so it is ours.</summary>
    public const string GpuIndex = "finetune.gpu.index";

    readonly NvmlGpu gpu;
    readonly ConcurrentDictionary<string, bool> warned = new();

    GpuTelemetry(NvmlGpu gpu, int index, string worker, Action<string>? warn)
    {
        this.gpu = gpu;
        KeyValuePair<string, object?>[] tags =
        [
            new("hw.id", gpu.Uuid), new("hw.type", "gpu"), new("hw.name", gpu.Name), new("hw.vendor", "NVIDIA"),
            new(FineTuneTelemetry.Worker, worker), new(GpuIndex, index),
        ];
        KeyValuePair<string, object?>[] utilizationTags = [.. tags, new("hw.gpu.task", "general")];
        // A reading NVML refuses (power on some boards) would otherwise warn at every collection: once per reading.
        gpu.ReadingFailed += (reading, why) =>
        {
            if (warned.TryAdd(reading, true)) warn?.Invoke($"GPU cuda:{index} ({gpu.Uuid}): NVML cannot read its {reading} ({why}); that metric is left out while it fails");
        };
        // Its own Meter under the FineTune name: the services' OpenTelemetry subscribes by name, and Dispose removes
        // exactly these instruments.
        Meter = new Meter(FineTuneTelemetry.Name);
        Meter.CreateObservableGauge("hw.gpu.utilization", () => Measure(gpu.Utilization(), utilizationTags), "1", "fraction of time the GPU ran kernels");
        Meter.CreateObservableUpDownCounter("hw.gpu.memory.usage", () => Measure((long?)gpu.Memory()?.Used, tags), "By", "GPU memory used");
        Meter.CreateObservableUpDownCounter("hw.gpu.memory.limit", () => Measure((long?)gpu.Memory()?.Total, tags), "By", "size of the GPU memory");
        Meter.CreateObservableGauge("hw.power", () => Measure(gpu.PowerWatts(), tags), "W", "power the GPU board draws");
        Meter.CreateObservableGauge("hw.temperature", () => Measure(gpu.TemperatureCelsius(), tags), "Cel", "GPU die temperature");
    }

    /// <summary>The meter holding the GPU instruments (named FineTune, like <see cref="FineTuneTelemetry.Meter"/>).</summary>
    public Meter Meter { get; }

    /// <summary>
    /// The GPU instruments for a worker started with --device <paramref name="device"/>; null on cpu, and null after one
    /// <paramref name="warn"/> when the device is CUDA but NVML or the GPU cannot be opened (the worker goes on without).
    /// </summary>
    public static GpuTelemetry? Start(string device, string worker, Action<string>? warn = null) =>
        Start(device, worker, warn, NvmlNative.Instance, Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES"));

    internal static GpuTelemetry? Start(string device, string worker, Action<string>? warn, INvml nvml, string? visibleDevices)
    {
        if (DeviceNames.CudaIndex(device) is not { } index) return null;
        var gpu = NvmlGpu.Open(nvml, index, visibleDevices, out var reason);
        if (gpu is null)
        {
            warn?.Invoke($"no GPU metrics for --device {device}: {reason}");
            return null;
        }
        return new GpuTelemetry(gpu, index, worker, warn);
    }

    static Measurement<T>[] Measure<T>(T? value, KeyValuePair<string, object?>[] tags) where T : struct =>
        value is { } v ? [new Measurement<T>(v, tags)] : [];

    public void Dispose()
    {
        Meter.Dispose();
        gpu.Dispose();
    }
}
