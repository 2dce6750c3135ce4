namespace FineTune.Core;

/// <summary>
/// Where converted models, downloaded data and other re-creatable files live:
/// <c>FINETUNE_CACHE</c>, else <c>$XDG_CACHE_HOME/finetune</c>, else <c>~/.cache/finetune</c>.
/// </summary>
public static class CacheDirectory
{
    public const string EnvironmentVariable = "FINETUNE_CACHE";

    public static string Root
    {
        get
        {
            // Read on every access so a test or a host can redirect the cache without restarting.
            var explicitRoot = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(explicitRoot)) return Path.GetFullPath(explicitRoot);
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrWhiteSpace(xdg)) return Path.Combine(Path.GetFullPath(xdg), "finetune");
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(home, ".cache", "finetune");
        }
    }

    /// <summary>A named folder under the cache root (or under <paramref name="root"/>), created if missing.</summary>
    public static string Subfolder(string name, string? root = null)
    {
        var path = Path.Combine(root ?? Root, name);
        Directory.CreateDirectory(path);
        return path;
    }
}
