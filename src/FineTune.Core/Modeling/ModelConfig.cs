using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FineTune.Core.Modeling;

/// <summary>
/// What every encoder family's config.json shares: the model type, the labels and the raw JSON.
/// The raw object is kept so a saved config round-trips the keys this project does not use
/// (transformers_version, _name_or_path, ...), as Hugging Face's PretrainedConfig does.
/// </summary>
public abstract class ModelConfig
{
    protected ModelConfig(JsonObject raw, string path)
    {
        Raw = raw;
        Path = path;
        ModelType = raw["model_type"]?.GetValue<string>() ?? "";
        Id2Label = ReadLabels(raw, path);
    }

    public JsonObject Raw { get; }
    public string Path { get; }
    public string ModelType { get; }
    public IReadOnlyList<string> Id2Label { get; private set; }
    public int NumLabels => Id2Label.Count;
    public abstract int MaxPositions { get; }
    public abstract double InitializerRange { get; }

    /// <summary>Hugging Face names labels LABEL_i when the config has none.</summary>
    public static IReadOnlyList<string> DefaultLabels(int count) =>
        Enumerable.Range(0, count).Select(i => $"LABEL_{i}").ToArray();

    public void SetLabels(IReadOnlyList<string> names)
    {
        if (names.Count < 1) throw new ArgumentException("a classifier needs at least one label", nameof(names));
        Id2Label = names.ToArray();
    }

    /// <summary>The config.json Hugging Face writes for a sequence classifier of this family.</summary>
    public JsonObject ToJson(string architecture)
    {
        var json = (JsonObject)Raw.DeepClone();
        json["architectures"] = new JsonArray(architecture);
        json["id2label"] = new JsonObject(Id2Label.Select((name, i) => KeyValuePair.Create(i.ToString(CultureInfo.InvariantCulture), (JsonNode?)name)));
        json["label2id"] = new JsonObject(Id2Label.Select((name, i) => KeyValuePair.Create(name, (JsonNode?)i)));
        json.Remove("num_labels"); // derived from id2label, as transformers does when it saves
        return json;
    }

    static IReadOnlyList<string> ReadLabels(JsonObject raw, string path)
    {
        if (raw["id2label"] is JsonObject id2label && id2label.Count > 0)
        {
            var names = new string[id2label.Count];
            foreach (var (key, value) in id2label)
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 0 || id >= names.Length)
                    throw new ModelFormatException(path, $"id2label key '{key}' is not an id in 0..{names.Length - 1}");
                names[id] = value?.ToString() ?? throw new ModelFormatException(path, $"id2label[{key}] is null");
            }
            return names;
        }
        var count = raw["num_labels"] is JsonNode n ? n.GetValue<int>() : 2; // Hugging Face's default
        return DefaultLabels(count);
    }

    /// <summary>Reads config.json as a JSON object, with errors that name the file.</summary>
    public static JsonObject ReadJson(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException(path, "config.json not found: a Hugging Face model folder needs one");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new ModelFormatException(path, "not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, $"invalid JSON ({e.Message})");
        }
    }

    protected T Get<T>(string key, T fallback)
    {
        var node = Raw[key];
        if (node is null) return fallback;
        try
        {
            return node.GetValue<T>();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ModelFormatException(Path, $"'{key}' has value {node.ToJsonString()}, expected a {typeof(T).Name}");
        }
    }

    protected double GetDouble(string key, double fallback) =>
        Raw[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d
        : Raw[key] is null ? fallback
        : throw new ModelFormatException(Path, $"'{key}' has value {Raw[key]!.ToJsonString()}, expected a number");
}
