namespace FineTune.Core.Data;

/// <summary>
/// Finds a split's files in a dataset folder: <c>train.csv</c> (or .jsonl, .json, .parquet), or the hub's shards
/// <c>train-00000-of-00002.parquet</c>, ... (read in name order), in the folder or in its <c>data/</c> subfolder.
/// </summary>
internal static class DatasetFolder
{
    public static readonly string[] EvalSplits = ["test", "validation"];

    /// <summary>The split's files, or an empty list when the folder has none.</summary>
    public static IReadOnlyList<string> Files(string folder, string split)
    {
        foreach (var dir in new[] { folder, Path.Combine(folder, "data") })
        {
            if (!Directory.Exists(dir)) continue;
            string[] files = [.. Directory.EnumerateFiles(dir).Where(f => IsSplitFile(f, split)).Order(StringComparer.Ordinal)];
            if (files.Length == 0) continue;
            var types = files.Select(f => Path.GetExtension(f).ToLowerInvariant()).Distinct().ToList();
            if (types.Count > 1)
                throw new InvalidInputException($"{dir}: holds {split} files of {types.Count} types ({string.Join(", ", files.Select(Path.GetFileName))}); keep one");
            return files;
        }
        return [];
    }

    /// <summary>The first evaluation split the folder has (test, then validation), or an empty list.</summary>
    public static IReadOnlyList<string> EvalFiles(string folder)
    {
        foreach (var split in EvalSplits)
            if (Files(folder, split) is { Count: > 0 } files) return files;
        return [];
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

    static bool IsSplitFile(string path, string split)
    {
        if (!DataFile.IsSupported(path)) return false;
        var stem = Path.GetFileNameWithoutExtension(path);
        return stem.Equals(split, StringComparison.OrdinalIgnoreCase)
            || stem.StartsWith(split + "-", StringComparison.OrdinalIgnoreCase);
    }
}
