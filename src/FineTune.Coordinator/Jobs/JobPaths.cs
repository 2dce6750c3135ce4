using FineTune.Core;
using FineTune.Core.Arguments;
using FineTune.Core.Hub;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// Where a job's model and dataset paths may point on the coordinator: the uploads folder (`coordinator:/uploads/...`)
/// the sweeps' splits (`coordinator:/sweeps/...`), the hub cache and the operator's --data-roots
/// (`coordinator:/srv/data/x.csv`, or the plain absolute path). Checked after every
/// symbolic link is followed, for the path itself and, for a folder, for everything inside it, so neither `..` nor a
/// link can reach a file outside.
/// </summary>
public static class JobPaths
{
    public const string Prefix = "coordinator:/";
    const int MaxLinkDepth = 40;

    /// <summary>
    /// Whether a job's model or dataset value is a hub id: not "default", not a coordinator:/ path, not an absolute
    /// path. Only its form is checked at submission; the coordinator downloads it after accepting the job.
    /// </summary>
    public static bool IsHubId(string? value) =>
        value is { Length: > 0 } && value != "default" && !value.StartsWith(Prefix, StringComparison.Ordinal) && !Path.IsPathFullyQualified(value)
        && !HubInputs.IsDataFileName(value); // train.csv: a relative path, refused by the path rules, not a repo

    /// <summary>
    /// The coordinator-side path that <paramref name="value"/> names, or the hub id it is (checked for form only);
    /// InvalidInputException naming <paramref name="key"/> when a path is outside the roots or an id is malformed.
    /// </summary>
    public static string Resolve(string value, CoordinatorOptions coordinator, string key)
    {
        if (value == "default") return value;
        if (IsHubId(value))
        {
            if (coordinator.Hub is null)
                throw new InvalidInputException($"{ArgumentTable.Describe(key)}: '{value}' is a Hugging Face Hub id, and hub access is off on this coordinator (--hub-access false): upload the files with `finetune submit` instead");
            var type = key.Contains("model", StringComparison.Ordinal) ? HubRepo.Model : HubRepo.Dataset;
            return HubRepo.Problem(type, value) is { } problem
                ? throw new InvalidInputException($"{ArgumentTable.Describe(key)}: '{value}' is neither a hub id ({problem}) nor a coordinator:/ or absolute path")
                : value;
        }
        bool prefixed = value.StartsWith(Prefix, StringComparison.Ordinal);
        var rest = prefixed ? value[Prefix.Length..] : value;
        var candidates = new List<(string Path, string Root)>();
        if (prefixed) candidates.Add((Path.GetFullPath(Path.Combine(coordinator.DataDir, rest)), Path.GetFullPath(coordinator.UploadsDir)));
        if (prefixed) candidates.Add((Path.GetFullPath(Path.Combine(coordinator.DataDir, rest)), Path.GetFullPath(coordinator.SweepsDir))); // a sweep's splits
        if (prefixed || Path.IsPathFullyQualified(rest))
        {
            var absolute = Path.GetFullPath(prefixed ? "/" + rest.TrimStart('/') : rest);
            candidates.AddRange(coordinator.DataRoots.Select(root => (absolute, root)));
            if (coordinator.Hub is { } hub) candidates.Add((absolute, Path.GetFullPath(hub.CacheRoot))); // the hub cache is a root too
            candidates.Add((absolute, Path.GetFullPath(coordinator.SweepsDir))); // and so are the sweeps' splits
        }
        foreach (var (path, root) in candidates)
        {
            if (!IsUnder(path, root)) continue;
            var realRoot = RealPath(root);
            var escape = Escapes(path, realRoot);
            if (escape is not null)
                throw new InvalidInputException($"{ArgumentTable.Describe(key)}: '{value}' leads outside the coordinator's roots through the link '{escape}'");
            return path;
        }
        var allowed = string.Join(", ", new[] { $"{Prefix}uploads/...", $"{Prefix}sweeps/..." }.Concat(coordinator.DataRoots).Concat(coordinator.Hub is { } h ? [h.CacheRoot] : []));
        throw new InvalidInputException($"{ArgumentTable.Describe(key)}: '{value}' is outside the coordinator's roots (allowed: {allowed}; `finetune submit` uploads local files by itself)");
    }

    static bool IsUnder(string path, string root)
    {
        var r = Path.TrimEndingDirectorySeparator(root);
        return path.StartsWith(r + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>The first entry (the path itself, or a file or folder inside it) whose real location is not under <paramref name="realRoot"/>; null when none.</summary>
    static string? Escapes(string path, string realRoot)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) return null; // the loader reports a missing path by name
        if (!IsUnder(RealPath(path), realRoot)) return path;
        if (!Directory.Exists(path)) return null;
        foreach (var entry in Directory.EnumerateFileSystemEntries(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            if (new FileInfo(entry).LinkTarget is not null && !IsUnder(RealPath(entry), realRoot)) return entry;
        return null;
    }

    /// <summary>The absolute path with every symbolic link along it followed (like realpath(3)); missing tails are kept as they are.</summary>
    public static string RealPath(string path, int depth = 0)
    {
        if (depth > MaxLinkDepth) throw new InvalidInputException($"'{path}': too many levels of symbolic links");
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            current = Path.Combine(current, parts[i]);
            var info = new FileInfo(current);
            if (info.LinkTarget is not { } target) continue;
            var resolved = Path.GetFullPath(target, Path.GetDirectoryName(current)!);
            current = RealPath(resolved, depth + 1);
        }
        return current;
    }
}
