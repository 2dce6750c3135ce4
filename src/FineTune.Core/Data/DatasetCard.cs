using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace FineTune.Core.Data;

/// <summary>
/// What a dataset card (README.md) says about loading: the YAML front matter's <c>configs:</c> and
/// <c>dataset_info:</c>, read as Hugging Face <c>datasets</c> reads them. A README without front matter, or without
/// those keys, is an empty card; front matter that is not valid YAML, or keys of the wrong shape, are an
/// InvalidInputException naming the README and the problem.
/// </summary>
internal sealed record DatasetCard(IReadOnlyList<DatasetCardConfig> Configs, IReadOnlyList<DatasetCardInfo> Infos)
{
    public static readonly DatasetCard Empty = new([], []);

    /// <param name="readme">README.md's text</param>
    /// <param name="where">how errors name the README</param>
    public static DatasetCard Parse(string readme, string where)
    {
        if (FrontMatter(readme) is not { } yamlText) return Empty;
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(yamlText));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            // Lines as the README numbers them: the front matter starts on its second line.
            throw new InvalidInputException($"{where}: invalid YAML at line {e.Start.Line + 1} ({e.Message})");
        }
        if (yaml.Documents.Count == 0) return Empty;
        var root = yaml.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" }) return Empty;
        if (root is not YamlMappingNode map) throw Invalid(where, root, "the front matter must be a mapping of keys");
        var configs = Get(map, "configs") is { } c && !IsNull(c) ? ReadConfigs(c, where) : [];
        var infos = Get(map, "dataset_info") switch
        {
            null => [],
            var n when IsNull(n) => [],
            YamlMappingNode one => [ReadInfo(one, where)],
            YamlSequenceNode list => list.Children.Select(i => ReadInfo(i as YamlMappingNode
                ?? throw Invalid(where, i, "each 'dataset_info' entry must be a mapping"), where)).ToList(),
            var other => throw Invalid(where, other, "'dataset_info' must be a mapping or a list of mappings"),
        };
        return new(configs, infos);
    }

    /// <summary>The text between a first line "---" and the next "---" line, or null when there is none.</summary>
    static string? FrontMatter(string readme)
    {
        var lines = readme.TrimStart('\uFEFF').Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count == 0 || lines[0].TrimEnd() != "---") return null;
        int end = lines.FindIndex(1, l => l.TrimEnd() == "---");
        return end < 0 ? null : string.Join('\n', lines.Skip(1).Take(end - 1));
    }

    static List<DatasetCardConfig> ReadConfigs(YamlNode node, string where)
    {
        if (node is not YamlSequenceNode list) throw Invalid(where, node, "'configs' must be a list of configs");
        var configs = new List<DatasetCardConfig>();
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode config) throw Invalid(where, item, "each 'configs' entry must be a mapping");
            var name = Scalar(Get(config, "config_name"))
                ?? throw Invalid(where, item, "a 'configs' entry has no 'config_name'");
            if (configs.Any(c => c.Name == name)) throw Invalid(where, item, $"config '{name}' is declared twice");
            var dataFiles = Get(config, "data_files") is { } files && !IsNull(files) ? ReadDataFiles(files, name, where) : null;
            configs.Add(new(name, IsTrue(Get(config, "default")), Scalar(Get(config, "data_dir")), dataFiles));
        }
        return configs;
    }

    /// <summary>
    /// data_files as <c>datasets</c> accepts it: a pattern or a list of patterns (the train split), or a list of
    /// <c>{split, path}</c> where path is a pattern or a list of patterns.
    /// </summary>
    static Dictionary<string, IReadOnlyList<string>> ReadDataFiles(YamlNode node, string config, string where)
    {
        string problem = $"config '{config}': 'data_files' must be a pattern, a list of patterns, or a list of {{split, path}}";
        if (node is YamlScalarNode) return new() { ["train"] = [Pattern(node, where, problem)] };
        if (node is not YamlSequenceNode list) throw Invalid(where, node, problem);
        if (!list.Children.Any(c => c is YamlMappingNode))
            return new() { ["train"] = [.. list.Children.Select(c => Pattern(c, where, problem))] };
        var splits = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode entry || entry.Children.Count != 2
                || Scalar(Get(entry, "split")) is not { } split || Get(entry, "path") is not { } path)
                throw Invalid(where, item, problem);
            if (splits.ContainsKey(split)) throw Invalid(where, item, $"config '{config}': split '{split}' is listed twice in 'data_files'");
            splits[split] = path is YamlSequenceNode paths
                ? [.. paths.Children.Select(p => Pattern(p, where, problem))]
                : [Pattern(path, where, problem)];
        }
        return splits;
    }

    static string Pattern(YamlNode node, string where, string problem) =>
        Scalar(node) is { Length: > 0 } pattern ? pattern : throw Invalid(where, node, problem);

    static DatasetCardInfo ReadInfo(YamlMappingNode info, string where)
    {
        var labels = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (Get(info, "features") is YamlSequenceNode features)
            foreach (var feature in features.Children.OfType<YamlMappingNode>())
                if (Scalar(Get(feature, "name")) is { } name
                    && Get(feature, "dtype") is YamlMappingNode dtype
                    && Get(dtype, "class_label") is YamlMappingNode classLabel
                    && Get(classLabel, "names") is { } names)
                    labels[name] = ClassNames(names, name, where);
        return new(Scalar(Get(info, "config_name")), labels);
    }

    /// <summary>A class_label's names: a list, or a mapping of index to name that must cover 0..n-1.</summary>
    static IReadOnlyList<string> ClassNames(YamlNode node, string feature, string where)
    {
        if (node is YamlSequenceNode list) return [.. list.Children.Select(n => Scalar(n) ?? "")];
        if (node is not YamlMappingNode map)
            throw Invalid(where, node, $"feature '{feature}': class_label 'names' must be a list or a mapping of index to name");
        var byIndex = new SortedDictionary<int, string>();
        foreach (var (key, value) in map.Children)
        {
            if (!int.TryParse(Scalar(key), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                throw Invalid(where, key, $"feature '{feature}': class_label name key '{Scalar(key)}' is not a label index");
            byIndex[index] = Scalar(value) ?? "";
        }
        if (byIndex.Count > 0 && byIndex.Keys.Last() != byIndex.Count - 1)
            throw Invalid(where, node, $"feature '{feature}': class_label names must cover every index 0..{byIndex.Keys.Last()}");
        return [.. byIndex.Values];
    }

    static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    static string? Scalar(YamlNode? node) => node is YamlScalarNode scalar && !IsNull(scalar) ? scalar.Value : null;

    // YAML's null: "~", "null" or nothing, unquoted.
    static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) } s
        && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    // PyYAML reads these (YAML 1.1) as true.
    static bool IsTrue(YamlNode? node) =>
        Scalar(node)?.ToLowerInvariant() is "true" or "yes" or "on";

    static InvalidInputException Invalid(string where, YamlNode node, string problem) =>
        new($"{where}: line {node.Start.Line + 1}: {problem}");
}
