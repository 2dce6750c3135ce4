using System.Text.Json.Nodes;
using FineTune.Core;
using FineTune.Core.Arguments;
using FineTune.Core.Sweeps;

namespace FineTune.Cli.Commands;

/// <summary>
/// A local sweep file as SubmitSweep takes it: JSON, with the base job's options inline (a base spec file read here)
/// and its local model, dataset and eval_dataset uploaded first (replaced by their coordinator:/ paths), as submit does.
/// </summary>
public static class SweepFileText
{
    /// <summary>The JSON text (named <c>STEM.json</c>) of the sweep file at <paramref name="path"/>; <paramref name="upload"/>
    /// turns the base's options' local paths into coordinator paths (null: sent as they are).</summary>
    public static (string Name, string Text) For(string path, Action<Dictionary<string, string>>? upload)
    {
        var spec = SweepSpec.Read(path); // every local check first: a bad file exits 2 before any network call
        var root = SpecNode.Load(File.ReadAllText(path), path)!;
        var baseOptions = spec.BaseOptions.ToDictionary(o => o.Key, o => o.Value);
        upload?.Invoke(baseOptions);
        var json = new JsonObject { ["base"] = new JsonObject(baseOptions.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))) };
        foreach (var (key, node) in root.Entries.Where(e => e.Key != "base")) json[key] = Json(node);
        return (Path.GetFileNameWithoutExtension(path) + ".json", json.ToJsonString());
    }

    static JsonNode? Json(SpecNode node) => node.Kind switch
    {
        SpecNode.NodeKind.Mapping => new JsonObject(node.Entries.Select(e => KeyValuePair.Create(e.Key, Json(e.Value)))),
        SpecNode.NodeKind.Sequence => new JsonArray([.. node.Items.Select(Json)]),
        _ => node.Text == ArgumentTable.Null ? null : JsonValue.Create(node.Text),
    };
}
