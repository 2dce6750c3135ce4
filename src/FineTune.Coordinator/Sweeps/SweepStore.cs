using System.Threading.Channels;
using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;

namespace FineTune.Coordinator.Sweeps;

/// <summary>
/// The durable sweep records (sweeps/ID/sweep.json, replaced atomically on every change) and the feeds WatchSweep
/// streams. Loaded at start; a record whose sweep file no longer parses is logged and left out.
/// </summary>
public sealed class SweepStore
{
    readonly string dir;
    readonly Dictionary<string, SweepRecord> sweeps = [];
    readonly Dictionary<string, List<Channel<Sweep>>> watchers = [];
    readonly Lock gate = new();

    public SweepStore(Jobs.CoordinatorOptions options, ILogger<SweepStore> log)
    {
        dir = options.SweepsDir;
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(dir, "sweep.json", SearchOption.AllDirectories))
        {
            try
            {
                var sweep = SweepFile.Read(File.ReadAllText(file));
                sweeps[sweep.Id] = sweep;
            }
            catch (Exception e)
            {
                log.LogError(e, "{File}: not loaded", file);
            }
        }
        log.LogInformation("{Count} sweeps loaded from {Dir}", sweeps.Count, dir);
    }


    public string DataFolder(string sweepId) => Path.Combine(dir, sweepId, "data");

    /// <summary>Stores a new sweep; a known request id returns the first sweep instead.</summary>
    public SweepRecord Add(SweepRecord sweep)
    {
        lock (gate)
        {
            if (sweep.RequestId is { Length: > 0 } rid && sweeps.Values.FirstOrDefault(s => s.RequestId == rid) is { } existing) return existing;
            sweeps[sweep.Id] = sweep;
            Save(sweep);
            return sweep;
        }
    }

    public SweepRecord? FindByRequestId(string requestId)
    {
        lock (gate) return sweeps.Values.FirstOrDefault(s => s.RequestId == requestId);
    }

    public SweepRecord? Find(string id)
    {
        lock (gate) return sweeps.GetValueOrDefault(id);
    }

    /// <summary>Every sweep, oldest first (the order trials are offered workers in).</summary>
    public IReadOnlyList<SweepRecord> All()
    {
        lock (gate) return [.. sweeps.Values.OrderBy(s => s.CreatedUnixMs).ThenBy(s => s.Id, StringComparer.Ordinal)];
    }

    public T Read<T>(Func<T> read)
    {
        lock (gate) return read();
    }

    /// <summary>Decides and changes under the lock; persisted and published when <paramref name="change"/> returns true.</summary>
    public bool Update(SweepRecord sweep, Func<SweepRecord, bool> change)
    {
        lock (gate)
        {
            if (!change(sweep)) return false;
            Save(sweep);
            var message = SweepMessages.ToMessage(sweep);
            if (watchers.TryGetValue(sweep.Id, out var list))
            {
                foreach (var w in list) w.Writer.TryWrite(message);
                if (sweep.IsFinal)
                {
                    foreach (var w in list) w.Writer.TryComplete();
                    watchers.Remove(sweep.Id);
                }
            }
            return true;
        }
    }

    /// <summary>The sweep as it is, then after every change; ends after its final state.</summary>
    public ChannelReader<Sweep> Watch(SweepRecord sweep)
    {
        var channel = Channel.CreateUnbounded<Sweep>();
        lock (gate)
        {
            channel.Writer.TryWrite(SweepMessages.ToMessage(sweep));
            if (sweep.IsFinal) channel.Writer.TryComplete();
            else
            {
                if (!watchers.TryGetValue(sweep.Id, out var list)) watchers[sweep.Id] = list = [];
                list.Add(channel);
            }
        }
        return channel.Reader;
    }

    void Save(SweepRecord sweep)
    {
        var folder = Path.Combine(dir, sweep.Id);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "sweep.json"), SweepFile.Write(sweep));
    }
}
