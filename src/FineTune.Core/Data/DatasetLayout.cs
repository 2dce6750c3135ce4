namespace FineTune.Core.Data;

/// <summary>
/// The one rule for which files each split of a dataset uses, as Hugging Face <c>datasets</c> decides it for
/// <c>load_dataset("org/name")</c> and <c>load_dataset("/local/folder")</c> alike, so it works on a hub repo's remote
/// file list (to download only what a split needs) and on a local folder (to load it). With a card whose
/// <c>configs:</c> names data files, those glob patterns; otherwise the split naming conventions
/// (<see cref="DatasetSplitConventions"/>). Only files of the types we read count.
/// </summary>
public static class DatasetLayout
{
    // Files datasets never takes as data unless asked by name (data_files.py's FILES_TO_IGNORE); the .json ones matter here.
    static readonly string[] IgnoredNames = ["README.md", "config.json", "dataset_info.json", "dataset_infos.json", "dataset_dict.json"];

    /// <param name="readme">README.md's text, or null when there is none</param>
    /// <param name="files">every file of the dataset, as paths relative to its root with '/' separators</param>
    /// <param name="config">--dataset-config, or null</param>
    /// <param name="labelColumn">the label column whose class_label names are wanted</param>
    /// <param name="source">how errors name the dataset (an id or a folder)</param>
    /// <returns>the splits found; no splits at all when the dataset holds no data file (the caller says what it lacks)</returns>
    public static DatasetSplits Select(string? readme, IReadOnlyList<string> files, string? config, string labelColumn, string source)
    {
        var card = readme is null ? DatasetCard.Empty : DatasetCard.Parse(readme, $"{source.TrimEnd('/', '\\')}/README.md");
        List<string> data = [.. files.Where(IsDataFile).Distinct(StringComparer.Ordinal)];
        DatasetCardConfig? chosen = card.Configs.Count > 0
            ? Choose(card.Configs, config, source)
            : config is null
                ? null
                : throw new InvalidInputException($"--dataset-config {config}: {source} has no configs (its README.md declares none); leave the option out");

        // data_dir roots both the patterns and the conventions, as in datasets.
        var prefix = chosen?.DataDir is { } dir && dir.Trim('/') is { Length: > 0 } trimmed ? trimmed + "/" : "";
        var splits = chosen?.DataFiles is { } patterns
            ? Resolve(patterns, data, prefix, chosen.Name, source)
            : Conventions(data, prefix, source);

        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (split, splitFiles) in splits)
            result[split] = OneType(split, [.. splitFiles.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], source);
        return new(chosen?.Name, result, LabelNames(card, chosen, labelColumn));
    }

    /// <summary>
    /// The named config; else the default one (named "default" or marked <c>default: true</c>); else the only one;
    /// else a refusal listing them, as <c>load_dataset("glue")</c> refuses.
    /// </summary>
    static DatasetCardConfig Choose(IReadOnlyList<DatasetCardConfig> configs, string? name, string source)
    {
        var names = LabelSet.Describe([.. configs.Select(c => c.Name)]);
        if (name is not null)
            return configs.FirstOrDefault(c => c.Name == name)
                ?? throw new InvalidInputException($"--dataset-config {name}: {source} has no such config ({names})");
        var defaults = configs.Where(c => c.Default || c.Name == "default").ToList();
        if (defaults.Count > 1)
            throw new InvalidInputException(
                $"--dataset-config: {source} marks several configs as default ({string.Join(", ", defaults.Select(c => c.Name))}); choose one");
        if (defaults.Count == 1) return defaults[0];
        if (configs.Count == 1) return configs[0];
        throw new InvalidInputException($"--dataset-config: {source} has several configs ({names}); choose one");
    }

    static Dictionary<string, List<string>> Resolve(
        IReadOnlyDictionary<string, IReadOnlyList<string>> patterns, List<string> data, string prefix, string config, string source)
    {
        var splits = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (split, splitPatterns) in patterns)
        {
            var matched = new List<string>();
            foreach (var pattern in splitPatterns)
            {
                var regex = DatasetGlob.ToRegex(prefix + pattern.TrimStart('/'));
                int before = matched.Count;
                matched.AddRange(data.Where(f => regex.IsMatch(f)));
                if (matched.Count == before)
                    throw new InvalidInputException(
                        $"{source}: config '{config}', split '{split}': data_files pattern '{pattern}' matches no {string.Join(", ", DataFile.Extensions)} file");
            }
            splits[split] = matched;
        }
        return splits;
    }

    static Dictionary<string, List<string>> Conventions(List<string> data, string prefix, string source)
    {
        var under = data.Where(f => f.StartsWith(prefix, StringComparison.Ordinal)).Select(f => f[prefix.Length..]).ToList();
        return DatasetSplitConventions.Splits(under, source).ToDictionary(
            s => s.Key, s => s.Value.Select(f => prefix + f).ToList(), StringComparer.Ordinal);
    }

    static IReadOnlyList<string> OneType(string split, List<string> files, string source)
    {
        var types = files.Select(f => Path.GetExtension(f).ToLowerInvariant()).Distinct().ToList();
        if (types.Count > 1)
            throw new InvalidInputException($"{source}: holds {split} files of {types.Count} types ({LabelSet.Describe(files)}); keep one");
        return files;
    }

    /// <summary>The label column's class_label names: from the chosen config's dataset_info, or the card's only one.</summary>
    static IReadOnlyList<string>? LabelNames(DatasetCard card, DatasetCardConfig? chosen, string labelColumn)
    {
        var infos = card.Infos;
        var info = chosen is not null
            ? infos.FirstOrDefault(i => i.ConfigName == chosen.Name) ?? (infos is [{ ConfigName: null } only] ? only : null)
            : infos is [var single] ? single : infos.FirstOrDefault(i => i.ConfigName == "default");
        return info?.ClassLabels.GetValueOrDefault(labelColumn);
    }

    /// <summary>
    /// A file of a type we read that <c>datasets</c> would take as data: not README.md or its metadata files, not
    /// hidden (a part starting with '.'), not in a special folder (a part starting with "__", such as __pycache__).
    /// </summary>
    static bool IsDataFile(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 0
            && DataFile.IsSupported(path)
            && !IgnoredNames.Contains(parts[^1])
            && !parts.Any(p => p.StartsWith('.'))
            && !parts[..^1].Any(p => p.StartsWith("__", StringComparison.Ordinal));
    }
}
