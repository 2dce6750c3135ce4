using FineTune.Core.Arguments;
using FineTune.Core.Telemetry;

namespace FineTune.Core.Tests.Telemetry;

/// <summary>In one collection with <see cref="GpuReadingsTests"/>: no other test's hw.* instruments exist while these look.</summary>
[Collection(nameof(GpuTelemetry))]
public class GpuTelemetryTests
{
    static FakeNvml.Gpu H100(string uuid) => new(uuid, "NVIDIA H100 80GB HBM3")
    {
        UtilizationPercent = 37,
        MemoryUsed = 12_000_000_000,
        MemoryTotal = 85_520_809_984,
        Milliwatts = 251_500,
        Celsius = 45,
    };

    // Only this test's instruments: other tests may hold GPU telemetry of their own.
    static MetricsRecorder Record(GpuTelemetry telemetry) => new(i => ReferenceEquals(i.Meter, telemetry.Meter));

    [Fact]
    public void A_cuda_worker_publishes_the_five_hardware_instruments_in_conventional_units_and_tags()
    {
        var nvml = new FakeNvml(H100("GPU-aaaa"), H100("GPU-bbbb"));
        using var telemetry = GpuTelemetry.Start("cuda:1", "worker-1", null, nvml, visibleDevices: null)!;
        Assert.NotNull(telemetry);
        using var recorder = Record(telemetry);

        var units = recorder.Published.ToDictionary(i => i.Name, i => (i.Unit, Kind: i.GetType().GetGenericTypeDefinition().Name));
        Assert.Equal(new Dictionary<string, (string?, string)>
        {
            ["hw.gpu.utilization"] = ("1", "ObservableGauge`1"),
            ["hw.gpu.memory.usage"] = ("By", "ObservableUpDownCounter`1"),
            ["hw.gpu.memory.limit"] = ("By", "ObservableUpDownCounter`1"),
            ["hw.power"] = ("W", "ObservableGauge`1"),
            ["hw.temperature"] = ("Cel", "ObservableGauge`1"),
        }, units);
        Assert.All(recorder.Published, i => Assert.Equal(FineTuneTelemetry.Name, i.Meter.Name));

        var values = recorder.Collect().ToDictionary(r => r.Instrument.Name);
        Assert.Equal(0.37, values["hw.gpu.utilization"].Value, 12);
        Assert.Equal(12_000_000_000, values["hw.gpu.memory.usage"].Value);
        Assert.Equal(85_520_809_984, values["hw.gpu.memory.limit"].Value);
        Assert.Equal(251.5, values["hw.power"].Value, 12);
        Assert.Equal(45, values["hw.temperature"].Value);
        foreach (var reading in values.Values)
        {
            Assert.Equal("GPU-bbbb", reading.Tags["hw.id"]);
            Assert.Equal("gpu", reading.Tags["hw.type"]);
            Assert.Equal("NVIDIA H100 80GB HBM3", reading.Tags["hw.name"]);
            Assert.Equal("NVIDIA", reading.Tags["hw.vendor"]);
            Assert.Equal("worker-1", reading.Tags[FineTuneTelemetry.Worker]);
            Assert.Equal(1, reading.Tags[GpuTelemetry.GpuIndex]);
        }
        Assert.Equal("general", values["hw.gpu.utilization"].Tags["hw.gpu.task"]);
    }

    [Fact]
    public void A_cpu_worker_has_no_gpu_instrument_and_never_asks_nvml()
    {
        using var recorder = new MetricsRecorder(i => i.Meter.Name == FineTuneTelemetry.Name && i.Name.StartsWith("hw.", StringComparison.Ordinal));
        var nvml = new FakeNvml(H100("GPU-aaaa"));
        var warnings = new List<string>();

        Assert.Null(GpuTelemetry.Start("cpu", "worker-0", warnings.Add, nvml, visibleDevices: null));

        Assert.Empty(recorder.Published);
        Assert.Empty(recorder.Collect());
        Assert.Equal(0, nvml.Inits);
        Assert.Empty(warnings);
    }

    [Fact]
    public void A_reading_nvml_refuses_is_left_out_not_zero_and_warned_once()
    {
        var gpu = H100("GPU-aaaa");
        gpu.Failing["power"] = NvmlReturn.NotSupported;
        var warnings = new List<string>();
        using var telemetry = GpuTelemetry.Start("cuda", "worker-0", warnings.Add, new FakeNvml(gpu), visibleDevices: null)!;
        using var recorder = Record(telemetry);

        var first = recorder.Collect();
        var second = recorder.Collect();

        Assert.Equal(["hw.gpu.memory.limit", "hw.gpu.memory.usage", "hw.gpu.utilization", "hw.temperature"], first.Select(r => r.Instrument.Name).Order());
        Assert.Equal(4, second.Count);
        var warning = Assert.Single(warnings);
        Assert.Contains("power", warning);
        Assert.Contains("Not Supported", warning);

        gpu.Failing.Clear();
        Assert.Equal(251.5, Assert.Single(recorder.Collect(), r => r.Instrument.Name == "hw.power").Value, 12);
    }

    [Fact]
    public void Without_nvml_a_cuda_worker_warns_once_and_goes_on_without_instruments()
    {
        var nvml = new FakeNvml(H100("GPU-aaaa")) { InitResult = NvmlReturn.LibraryNotFound };
        var warnings = new List<string>();

        Assert.Null(GpuTelemetry.Start("cuda:0", "worker-0", warnings.Add, nvml, visibleDevices: null));

        var warning = Assert.Single(warnings);
        Assert.Contains("--device cuda:0", warning);
        Assert.Contains("libnvidia-ml.so.1", warning);
    }

    [Fact]
    public void A_gpu_nvml_does_not_have_is_refused_and_nvml_shut_down()
    {
        var nvml = new FakeNvml(H100("GPU-aaaa"));
        var warnings = new List<string>();

        Assert.Null(GpuTelemetry.Start("cuda:3", "worker-3", warnings.Add, nvml, visibleDevices: null));

        Assert.Contains("NVML has no GPU for cuda:3", Assert.Single(warnings));
        Assert.Equal(nvml.Inits, nvml.Shutdowns);
    }

    [Fact]
    public void Cuda_visible_devices_maps_the_cuda_ordinal_to_nvml_by_index_or_uuid()
    {
        var nvml = new FakeNvml(H100("GPU-aaaa"), H100("GPU-bbbb"), H100("GPU-cccc"));

        Assert.Equal("GPU-cccc", GpuReadings.Read(nvml, 0, "2, GPU-aaaa", out _)!.Uuid);
        Assert.Equal("GPU-aaaa", GpuReadings.Read(nvml, 1, "2, GPU-aaaa", out _)!.Uuid);
        Assert.Equal("GPU-bbbb", GpuReadings.Read(nvml, 1, null, out _)!.Uuid);
        Assert.Equal(["index 2", "uuid GPU-aaaa", "index 1"], nvml.Lookups);
    }

    [Fact]
    public void Disposing_removes_the_instruments_and_releases_nvml()
    {
        var nvml = new FakeNvml(H100("GPU-aaaa"));
        var telemetry = GpuTelemetry.Start("cuda", "worker-0", null, nvml, visibleDevices: null)!;
        using var recorder = Record(telemetry);
        Assert.Equal(5, recorder.Collect().Count);

        telemetry.Dispose();

        Assert.Empty(recorder.Collect());
        Assert.Equal(1, nvml.Inits);
        Assert.Equal(1, nvml.Shutdowns);
    }

    [Theory]
    [InlineData("cpu", null)]
    [InlineData("cuda", 0)]
    [InlineData("cuda:0", 0)]
    [InlineData("cuda:7", 7)]
    [InlineData("cuda:x", null)]
    [InlineData("auto", null)]
    public void The_cuda_ordinal_of_a_device_name(string device, int? index) => Assert.Equal(index, DeviceNames.CudaIndex(device));
}
