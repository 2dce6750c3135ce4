using FineTune.Coordinator.Jobs;
using FineTune.Core.Hub;
using FineTune.ServiceDefaults;

namespace FineTune.Coordinator;

/// <summary>
/// The coordinator's settings, read and checked at start by <see cref="ServiceSettings"/>: each from the command line
/// (--max-workers 8) or the FineTune section (FineTune:max-workers or FineTune:MaxWorkers; the environment
/// FineTune__MaxWorkers). A bad value throws <see cref="SettingsException"/> naming the option.
/// </summary>
public static class CoordinatorSettings
{
    public static CoordinatorOptions Read(IConfiguration c)
    {
        var s = new ServiceSettings(c);
        var dataDir = s.String("data-dir") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "finetune", "coordinator");
        var defaults = new CoordinatorOptions(Path.GetFullPath(dataDir));
        return defaults with
        {
            HeartbeatTimeout = s.Seconds("heartbeat-timeout", defaults.HeartbeatTimeout),
            CollectiveTimeout = s.Seconds("collective-timeout", defaults.CollectiveTimeout),
            RecoveryWait = s.Seconds("recovery-wait", defaults.RecoveryWait),
            MaxWorkers = s.Int("max-workers", CoordinatorOptions.DefaultMaxWorkers, min: 1),
            DataRoots = DataRoots(s, c),
            Hub = s.Bool("hub-access", true) ? Hub(defaults.DataDir) : null,
        };
    }

    /// <summary>The hub settings of the coordinator's environment, its cache HF_HUB_CACHE else DATA_DIR/hub.</summary>
    static HubSettings Hub(string dataDir)
    {
        HubSettings settings;
        try
        {
            settings = HubSettings.FromEnvironment();
        }
        catch (Core.InvalidInputException e)
        {
            throw new SettingsException(e.Message); // HF_ENDPOINT that is not a URL: stop at start, naming it
        }
        return settings with { CacheRoot = Environment.GetEnvironmentVariable("HF_HUB_CACHE") is { Length: > 0 } cache ? cache : Path.Combine(dataDir, "hub") };
    }

    /// <summary>Folders on the coordinator that jobs may name directly (besides uploads): --data-roots A;B (or
    /// FineTune:data-roots, FineTune:DataRoots, read as every setting is), or an array FineTune:DataRoots:0..n.</summary>
    static IReadOnlyList<string> DataRoots(ServiceSettings s, IConfiguration c) =>
        (s.String("data-roots") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(c.GetSection("FineTune:DataRoots").GetChildren().Select(x => x.Value).OfType<string>())
            .Select(Path.GetFullPath).Distinct().ToList();
}
