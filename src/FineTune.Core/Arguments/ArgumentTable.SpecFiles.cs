using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

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
        var text = File.ReadAllText(path);
        var values = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".json" => FromJson(text, path),
            ".yaml" or ".yml" => FromYaml(text, path),
            var ext => throw new InvalidInputException($"-f {path}: unsupported spec file type '{ext}' (use .json, .yaml or .yml)"),
        };
        return values.Select(kv => (ByKey.TryGetValue(Aliases.GetValueOrDefault(kv.Key, kv.Key), out var e) ? e.Key
            : throw new InvalidInputException($"{path}: unknown key '{kv.Key}' (known: {string.Join(", ", Entries.Select(x => x.Key))})"), kv.Value)).ToList();
    }

    static IEnumerable<(string Key, string Value)> FromJson(string text, string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(text) as JsonObject ?? throw new InvalidInputException($"{path}: expected a JSON object of options");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: invalid JSON at line {e.LineNumber + 1} ({e.Message})");
        }
        foreach (var (key, node) in root)
            yield return (key, node switch
            {
                null => "null",
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonValue v => v.ToJsonString(),
                _ => throw new InvalidInputException($"{path}: '{key}' must be a single value, got {node.ToJsonString()}"),
            });
    }

    static IEnumerable<(string Key, string Value)> FromYaml(string text, string path)
    {
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidInputException($"{path}: invalid YAML at line {e.Start.Line} ({e.Message})");
        }
        if (yaml.Documents.Count == 0) yield break;
        if (yaml.Documents[0].RootNode is not YamlMappingNode map) throw new InvalidInputException($"{path}: expected a mapping of options");
        foreach (var (k, v) in map.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? throw new InvalidInputException($"{path}: line {k.Start.Line}: keys must be plain names");
            var value = v as YamlScalarNode ?? throw new InvalidInputException($"{path}: line {v.Start.Line}: '{key}' must be a single value");
            yield return (key, value.Value ?? "null");
        }
    }
}
