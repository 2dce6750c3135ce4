using System.Diagnostics;
using System.Globalization;

namespace FineTune.Core.Telemetry;

/// <summary>
/// Where a command's wall time goes, phase by phase, when FINETUNE_PROFILE=1 (tests/benchmarks/profile-default-job.sh
/// reads it). Off by default: then every call is a no-op, so the phases can stay in the code. Phases accumulate
/// (a phase measured three times shows its total and count); the table ends with the process's whole wall time since
/// it started and the part no phase covers.
/// </summary>
public static class PhaseProfile
{
    public const string Variable = "FINETUNE_PROFILE";
    public const string LinePrefix = "profile:";

    static readonly Lock Gate = new();
    static readonly List<string> Order = [];
    static readonly Dictionary<string, (double Seconds, int Count)> Totals = new(StringComparer.Ordinal);

    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable(Variable) is "1" or "true";

    /// <summary>Times a phase until disposed: <c>using (PhaseProfile.Measure("dataset load")) { ... }</c>.</summary>
    public static Phase Measure(string name) => new(Enabled ? name : null);

    public static void Add(string name, double seconds, int count = 1)
    {
        if (!Enabled) return;
        lock (Gate)
        {
            if (!Totals.TryGetValue(name, out var t)) Order.Add(name);
            Totals[name] = (t.Seconds + seconds, t.Count + count);
        }
    }

    /// <summary>The phases so far, in the order each first appeared.</summary>
    public static IReadOnlyList<(string Name, double Seconds, int Count)> Phases()
    {
        lock (Gate) return Order.Select(n => (n, Totals[n].Seconds, Totals[n].Count)).ToList();
    }

    /// <summary>Seconds since the operating system started this process (runtime start-up included).</summary>
    public static double SinceProcessStart()
    {
        using var self = Process.GetCurrentProcess();
        return (DateTime.Now - self.StartTime).TotalSeconds;
    }

    /// <summary>One "profile:" line per phase, then the whole process's wall time and the rest (what no phase covers).</summary>
    public static void Write(TextWriter writer)
    {
        if (!Enabled) return;
        var phases = Phases();
        double wall = SinceProcessStart(), covered = phases.Sum(p => p.Seconds);
        foreach (var (name, seconds, count) in phases) writer.WriteLine(Line(name, seconds, count, wall));
        writer.WriteLine(Line("other (no phase)", wall - covered, 1, wall));
        writer.WriteLine(Line("process wall time", wall, 1, wall));
    }

    static string Line(string name, double seconds, int count, double wall) =>
        string.Create(CultureInfo.InvariantCulture, $"{LinePrefix} {name,-28} {seconds,9:0.000} s {100 * seconds / wall,6:0.0} % x{count}");

    /// <summary>A running phase; records its time when disposed (nothing when profiling is off).</summary>
    public readonly struct Phase : IDisposable
    {
        readonly string? name;
        readonly long started;

        internal Phase(string? name)
        {
            this.name = name;
            started = name is null ? 0 : Stopwatch.GetTimestamp();
        }

        public void Dispose()
        {
            if (name is not null) Add(name, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
