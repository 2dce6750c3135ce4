namespace FineTune.Core.Data;

/// <summary>
/// A dataset folder's splits, found by <see cref="DatasetLayout"/> from its README.md (when present) and every file
/// below it, so a copy of a hub dataset repo loads as the hub id would: train.csv, data/train-00000-of-00002.parquet
/// shards, a train/ folder, or the files a README.md config names.
/// </summary>
internal static class DatasetFolder
{
    /// <summary>The folder's splits, with full paths.</summary>
    public static DatasetSplits Splits(string folder, string? config, string labelColumn)
    {
        var readmePath = Path.Combine(folder, "README.md");
        var readme = File.Exists(readmePath) ? File.ReadAllText(readmePath) : null;
        var layout = DatasetLayout.Select(readme, RelativeFiles(folder), config, labelColumn, folder);
        return layout with
        {
            Files = layout.Files.ToDictionary(
                s => s.Key,
                s => (IReadOnlyList<string>)[.. s.Value.Select(f => Path.Combine(folder, f.Replace('/', Path.DirectorySeparatorChar)))],
                StringComparer.Ordinal),
        };
    }

    /// <summary>Every file below the folder, relative with '/' separators; hidden folders (.git, .cache) are not entered.</summary>
    static List<string> RelativeFiles(string folder)
    {
        var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true };
        var files = new List<string>();
        var pending = new Stack<string>([folder]);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var file in Directory.EnumerateFiles(dir, "*", options))
                files.Add(Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/'));
            foreach (var sub in Directory.EnumerateDirectories(dir, "*", options))
                if (!Path.GetFileName(sub).StartsWith('.')) pending.Push(sub);
        }
        return files;
    }

    /// <summary>What the folder holds, for an error message.</summary>
    public static string Describe(string folder)
    {
        var entries = Directory.EnumerateFileSystemEntries(folder)
            .Select(e => Directory.Exists(e) ? Path.GetFileName(e) + "/" : Path.GetFileName(e))
            .Order(StringComparer.Ordinal)
            .ToList();
        return entries.Count == 0 ? "it is empty" : $"it holds {LabelSet.Describe(entries)}";
    }

    /// <summary>How logs name a split's files: the file, or a pattern and a count for shards.</summary>
    public static string Source(IReadOnlyList<string> files) =>
        files.Count == 1
            ? files[0]
            : $"{Path.Combine(Path.GetDirectoryName(files[0])!, Path.GetFileName(files[0]).Split('-')[0])}-*{Path.GetExtension(files[0])} ({files.Count} files)";
}
