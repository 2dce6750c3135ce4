using FineTune.Core;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// The paths a job may name on the coordinator: under its roots (the uploads folder, named `uploads`, and every
/// `--root DIR`, named by its folder name). `coordinator:/NAME/rest` is `rest` under the root named NAME, and
/// `coordinator:/ABS/PATH` or a plain absolute path must lie under a root. `..` segments, paths outside every root and
/// symbolic links that lead out of their root are refused, with the field named.
/// </summary>
public sealed class CoordinatorPaths
{
    public const string Prefix = "coordinator:/";
    readonly List<(string Name, string Dir)> roots;

    public CoordinatorPaths(CoordinatorOptions options)
    {
        roots = [("uploads", Path.GetFullPath(options.UploadsDir))];
        foreach (var root in options.Roots)
        {
            var dir = Path.GetFullPath(root);
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
            if (name.Length == 0) throw new InvalidInputException($"--root {root}: the file system's root cannot be a root; name a folder");
            if (roots.Any(r => r.Name == name))
                throw new InvalidInputException($"--root {root}: another root is also named '{name}' (coordinator:/{name}/... must name one folder)");
            roots.Add((name, dir));
        }
    }

    public IReadOnlyList<(string Name, string Dir)> Roots => roots;

    /// <summary>The full path <paramref name="value"/> names, checked; "default" and other non-paths pass as they are.</summary>
    public string Resolve(string value, string key)
    {
        bool prefixed = value.StartsWith(Prefix, StringComparison.Ordinal);
        if (!prefixed && !Path.IsPathRooted(value))
        {
            if (value is "default" or "null" or "") return value; // not paths: the built-in model or data, or unset
            throw Refuse(key, value, "a relative path means nothing on the coordinator");
        }
        var rest = prefixed ? value[Prefix.Length..] : value;
        if (rest.Split('/', '\\').Contains(".."))
            throw Refuse(key, value, "'..' is not allowed");

        string full;
        (string Name, string Dir) root;
        var first = rest.TrimStart('/').Split('/')[0];
        if (prefixed && !rest.StartsWith('/') && roots.FirstOrDefault(r => r.Name == first) is { Name: not null } named)
        {
            root = named;
            full = Path.GetFullPath(Path.Combine(named.Dir, rest.TrimStart('/')[first.Length..].TrimStart('/')));
        }
        else
        {
            full = Path.GetFullPath("/" + rest.TrimStart('/'));
            root = roots.FirstOrDefault(r => IsUnder(full, r.Dir));
            if (root.Name is null) throw Refuse(key, value, "it is outside the coordinator's roots");
        }
        // A symbolic link inside a root must not lead out of it.
        var realRoot = RealPath(root.Dir);
        if (!IsUnder(RealPath(full), realRoot))
            throw Refuse(key, value, $"it leads out of the root '{root.Name}' through a symbolic link");
        return full;
    }

    InvalidInputException Refuse(string key, string value, string why) =>
        new($"{key}: '{value}' is refused: {why} (allowed: {string.Join(", ", roots.Select(r => $"{Prefix}{r.Name}/... ({r.Dir})"))})");

    static bool IsUnder(string path, string dir)
    {
        dir = Path.TrimEndingDirectorySeparator(dir);
        return path == dir || path.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>The path with every symbolic link along it followed (the parts that do not exist yet kept as written).</summary>
    static string RealPath(string path)
    {
        var parts = Path.GetFullPath(path).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = Path.DirectorySeparatorChar.ToString();
        for (int i = 0; i < parts.Length; i++)
        {
            current = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (!info.Exists || info.LinkTarget is null) continue;
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null) continue;
            current = RealPath(target.FullName); // the target may itself sit under linked folders
        }
        return current;
    }
}
