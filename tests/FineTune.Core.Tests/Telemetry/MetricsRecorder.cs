using System.Diagnostics.Metrics;

namespace FineTune.Core.Tests.Telemetry;

/// <summary>A MeterListener on the instruments <paramref name="include"/> picks: what was published, and every measurement taken.</summary>
sealed class MetricsRecorder : IDisposable
{
    public sealed record Reading(Instrument Instrument, double Value, Dictionary<string, object?> Tags);

    readonly MeterListener listener = new();

    public MetricsRecorder(Func<Instrument, bool> include)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (!include(instrument)) return;
            lock (Published) Published.Add(instrument);
            l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags)); // the coordinator's finetune.job.state
        listener.Start();
    }

    public List<Instrument> Published { get; } = [];
    public List<Reading> Readings { get; } = [];

    /// <summary>Runs the observable instruments' callbacks once, as an exporter's collection does.</summary>
    public List<Reading> Collect()
    {
        lock (Readings) Readings.Clear();
        listener.RecordObservableInstruments();
        lock (Readings) return [.. Readings];
    }

    void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var (key, v) in tags) copy[key] = v;
        lock (Readings) Readings.Add(new Reading(instrument, value, copy));
    }

    public void Dispose() => listener.Dispose();
}
