using System.Globalization;

namespace FineTune.Core.Telemetry;

/// <summary>
/// One look at a GPU (<see cref="GpuReadings.Read(int, out string)"/>): each value is null where NVML could not read
/// it, and <see cref="Failures"/> says why ("power: Not Supported").
/// </summary>
/// <param name="Index">the CUDA ordinal (cuda:N)</param>
/// <param name="Utilization">fraction 0..1 of the last sample period a kernel ran</param>
public sealed record GpuReading(int Index, string Uuid, string Name, double? Utilization, long? MemoryUsed, long? MemoryTotal,
    double? PowerWatts, double? TemperatureCelsius, IReadOnlyList<string> Failures)
{
    const double GiB = 1 << 30;

    /// <summary>One line for a console: cuda:0 NVIDIA H100 (GPU-...): utilization 35%, memory 12.3 of 79.6 GiB, 250.1 W, 45 °C.</summary>
    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        string Or(double? value, Func<double, string> format) => value is { } v ? format(v) : "n/a";
        var memory = MemoryUsed is { } used && MemoryTotal is { } total ? string.Format(c, "{0:F1} of {1:F1} GiB", used / GiB, total / GiB) : "n/a";
        var line = $"cuda:{Index} {Name} ({Uuid}): utilization {Or(Utilization, u => (u * 100).ToString("F0", c) + "%")}, memory {memory}, " +
            $"power {Or(PowerWatts, w => w.ToString("F1", c) + " W")}, temperature {Or(TemperatureCelsius, t => t.ToString("F0", c) + " °C")}";
        return Failures.Count == 0 ? line : $"{line} (not read: {string.Join("; ", Failures)})";
    }
}
