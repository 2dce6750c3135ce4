using FineTune.Core.Telemetry;

namespace FineTune.Core.Tests.Telemetry;

[Collection(nameof(GpuTelemetry))]
public class GpuReadingsTests
{
    [Fact]
    public void A_reading_converts_nvml_units_and_names_what_it_could_not_read()
    {
        var gpu = new FakeNvml.Gpu("GPU-aaaa", "NVIDIA H100 80GB HBM3") { UtilizationPercent = 35, MemoryUsed = 3L << 30, MemoryTotal = 80L << 30, Milliwatts = 250_100, Celsius = 45 };
        gpu.Failing["power"] = NvmlReturn.NotSupported;
        var nvml = new FakeNvml(gpu);

        var reading = GpuReadings.Read(nvml, 0, null, out var reason);

        Assert.NotNull(reading);
        Assert.Equal("", reason);
        Assert.Equal(0.35, reading.Utilization!.Value, 12);
        Assert.Equal(3L << 30, reading.MemoryUsed);
        Assert.Equal(80L << 30, reading.MemoryTotal);
        Assert.Null(reading.PowerWatts);
        Assert.Equal(45, reading.TemperatureCelsius);
        Assert.Equal(["power: Not Supported"], reading.Failures);
        Assert.Equal("cuda:0 NVIDIA H100 80GB HBM3 (GPU-aaaa): utilization 35%, memory 3.0 of 80.0 GiB, power n/a, temperature 45 °C (not read: power: Not Supported)", reading.Describe());
        Assert.Equal(1, nvml.Shutdowns);
    }

    [Fact]
    public void Without_nvml_there_is_no_reading_but_a_reason()
    {
        var nvml = new FakeNvml() { InitResult = NvmlReturn.LibraryNotFound };

        Assert.Null(GpuReadings.Read(nvml, 0, null, out var reason));
        Assert.Equal("NVML is not available: libnvidia-ml.so.1 could not be loaded", reason);
    }

    /// <summary>The real driver library: skipped, with the reason, where it is not installed (any machine without an NVIDIA driver).</summary>
    [SkippableFact]
    public void The_real_nvml_reads_gpu_0()
    {
        var reading = GpuReadings.Read(0, out var reason);
        Skip.If(reading is null && reason.Contains("libnvidia-ml.so.1 could not be loaded", StringComparison.Ordinal), reason);

        Assert.True(reading is not null, reason);
        Assert.StartsWith("GPU-", reading.Uuid);
        Assert.NotEmpty(reading.Name);
        Assert.InRange(reading.Utilization!.Value, 0, 1);
        Assert.InRange(reading.MemoryUsed!.Value, 0, reading.MemoryTotal!.Value);
        Assert.True(reading.MemoryTotal > 1L << 30, reading.Describe());
        Assert.InRange(reading.TemperatureCelsius!.Value, 1, 120);
        if (reading.PowerWatts is { } watts) Assert.InRange(watts, 1, 2000);
    }

    [SkippableFact]
    public void The_real_nvml_feeds_the_five_instruments()
    {
        var warnings = new List<string>();
        using var telemetry = GpuTelemetry.Start("cuda", "worker-0", warnings.Add);
        Skip.If(telemetry is null && warnings.Any(w => w.Contains("libnvidia-ml.so.1 could not be loaded", StringComparison.Ordinal)), string.Join("; ", warnings));

        Assert.True(telemetry is not null, string.Join("; ", warnings));
        using var recorder = new MetricsRecorder(i => ReferenceEquals(i.Meter, telemetry.Meter));
        var names = recorder.Collect().Select(r => r.Instrument.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "hw.gpu.utilization", "hw.gpu.memory.usage", "hw.gpu.memory.limit", "hw.temperature" }, names);
    }
}
