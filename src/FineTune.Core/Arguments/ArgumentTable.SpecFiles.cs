namespace FineTune.Core.Arguments;

/// <summary>Spec files (job.json, job.yaml): the one reader of a file of options, as (key, text) pairs.</summary>
public static partial class ArgumentTable
{
    /// <summary><paramref name="args"/> with a -f job.json or job.yaml spec's options applied.</summary>
    public static TrainingArguments ApplyFile(TrainingArguments args, string path)
    {
        foreach (var (key, value) in ReadFile(path)) args = ByKey[key].Set(args, value, $"{path}: {key}");
        return args;
    }

    /// <summary>
    /// The one spec-file reader: a job.json or job.yaml as (key, value) pairs, keys checked and aliases resolved to their
    /// table key, values as text (as a Submit request carries them). Values are not parsed here: binding does that.
    /// </summary>
    public static IReadOnlyList<(string Key, string Value)> ReadFile(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"-f {path}: file not found");
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".json" or ".yaml" or ".yml")) throw new InvalidInputException($"-f {path}: unsupported spec file type '{ext}' (use .json, .yaml or .yml)");
        return SpecNode.Load(File.ReadAllText(path), path) is { } root ? Options(root, path) : [];
    }

    /// <summary>
    /// A mapping of options (a spec file's root, or a sweep file's inline base) as (table key, text) pairs: the one
    /// conversion, so both read alike. Unknown keys and values that are not single values are refused naming
    /// <paramref name="where"/>.
    /// </summary>
    public static IReadOnlyList<(string Key, string Value)> Options(SpecNode mapping, string where)
    {
        if (mapping.Kind != SpecNode.NodeKind.Mapping) throw new InvalidInputException($"{where}: {mapping.At}expected a mapping of options, got {mapping.Describe()}");
        return [.. mapping.Entries.Select(kv => (
            ByKey.TryGetValue(Aliases.GetValueOrDefault(kv.Key, kv.Key), out var e) ? e.Key
                : throw new InvalidInputException($"{where}: unknown key '{kv.Key}' (known: {string.Join(", ", Entries.Select(x => x.Key))})"),
            kv.Value.Kind == SpecNode.NodeKind.Scalar ? kv.Value.Text
                : throw new InvalidInputException($"{where}: {kv.Value.At}'{kv.Key}' must be a single value, got {kv.Value.Describe()}")))];
    }
}
