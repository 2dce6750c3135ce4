using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace FineTune.Core.Arguments;

/// <summary>
/// A JSON or YAML document as one tree, so every reader of spec-shaped files (job specs, sweep files) parses both
/// formats the same way: mappings keep their order, and a scalar is text as a Submit request carries it (a JSON string
/// as its characters, any other JSON value as its JSON text, a YAML scalar as written).
/// </summary>
public sealed class SpecNode
{
    public enum NodeKind { Scalar, Mapping, Sequence }

    public NodeKind Kind { get; }

    /// <summary>A scalar's text ("null" for JSON null); empty for mappings and sequences.</summary>
    public string Text { get; } = "";

    /// <summary>A mapping's entries, in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, SpecNode>> Entries { get; } = [];

    /// <summary>A sequence's items.</summary>
    public IReadOnlyList<SpecNode> Items { get; } = [];

    /// <summary>"line N: " for a YAML node, so messages can point at it; empty for JSON (its nodes keep no position).</summary>
    public string At { get; }

    SpecNode(NodeKind kind, string at, string text = "", IReadOnlyList<KeyValuePair<string, SpecNode>>? entries = null, IReadOnlyList<SpecNode>? items = null)
    {
        Kind = kind;
        At = at;
        Text = text;
        Entries = entries ?? [];
        Items = items ?? [];
    }

    /// <summary>What the node is, for messages: "a single value", "a mapping" or "a list".</summary>
    public string Describe() => Kind switch
    {
        NodeKind.Scalar => $"'{Text}'",
        NodeKind.Mapping => "a mapping",
        _ => "a list",
    };

    /// <summary>The document in <paramref name="text"/>, read as JSON or YAML by <paramref name="path"/>'s extension; null
    /// for an empty YAML document. Malformed text is refused naming the file and the line.</summary>
    public static SpecNode? Load(string text, string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".json" => LoadJson(text, path),
        ".yaml" or ".yml" => LoadYaml(text, path),
        var ext => throw new InvalidInputException($"{path}: unsupported file type '{ext}' (use .json, .yaml or .yml)"),
    };

    static SpecNode LoadJson(string text, string path)
    {
        try
        {
            return FromJson(JsonNode.Parse(text));
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: invalid JSON at line {e.LineNumber + 1} ({e.Message})");
        }
    }

    static SpecNode FromJson(JsonNode? node) => node switch
    {
        null => new(NodeKind.Scalar, "", "null"),
        JsonObject o => new(NodeKind.Mapping, "", entries: [.. o.Select(kv => KeyValuePair.Create(kv.Key, FromJson(kv.Value)))]),
        JsonArray a => new(NodeKind.Sequence, "", items: [.. a.Select(FromJson)]),
        JsonValue v when v.TryGetValue<string>(out var s) => new(NodeKind.Scalar, "", s),
        _ => new(NodeKind.Scalar, "", node.ToJsonString()),
    };

    static SpecNode? LoadYaml(string text, string path)
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
        return yaml.Documents.Count == 0 ? null : FromYaml(yaml.Documents[0].RootNode, path);
    }

    static SpecNode FromYaml(YamlNode node, string path)
    {
        var at = $"line {node.Start.Line}: ";
        return node switch
        {
            YamlScalarNode s => new(NodeKind.Scalar, at, s.Value ?? "null"),
            YamlSequenceNode q => new(NodeKind.Sequence, at, items: [.. q.Children.Select(c => FromYaml(c, path))]),
            YamlMappingNode m => new(NodeKind.Mapping, at, entries: [.. m.Children.Select(kv => KeyValuePair.Create(
                (kv.Key as YamlScalarNode)?.Value ?? throw new InvalidInputException($"{path}: line {kv.Key.Start.Line}: keys must be plain names"),
                FromYaml(kv.Value, path)))]),
            _ => throw new InvalidInputException($"{path}: {at}aliases and tags are not supported"),
        };
    }
}
