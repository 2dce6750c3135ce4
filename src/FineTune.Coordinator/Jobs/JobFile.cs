using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core;
using FineTune.Core.Arguments;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// job.json in and out. A record keeps its spec in the options table's canonical form (JobRecord.Spec). A record
/// written before the spec existed has the options map as submitted ("Options"): it is bound by the same table, its
/// paths confined as at submission, and converted. One whose options no longer bind or validate loads with the reason
/// (<see cref="Loaded.Problem"/>): JobLifecycle fails it, and the coordinator starts all the same.
/// </summary>
public static class JobFile
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public sealed record Loaded(JobRecord Job, string? Problem);

    public static string Write(JobRecord job) => JsonSerializer.Serialize(job, Json);

    public static Loaded Read(string text, CoordinatorOptions coordinator)
    {
        var node = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException("job.json: expected a JSON object");
        string? problem = null;
        TrainingArguments spec;
        try
        {
            spec = node["Spec"] is JsonObject canonical ? ArgumentTable.Bind(Map(canonical)) : JobSpec.Parse(Map(node["Options"] as JsonObject), coordinator);
            spec.Validate();
        }
        catch (Exception e) when (Faults.IsBadRequest(e))
        {
            problem = Faults.Unwrap(e).Message;
            spec = new TrainingArguments();
        }
        if (node.Remove("Options") && node["State"]?.GetValue<string>() != JobState.Queued.Name())
            node["DataReady"] = true; // an older coordinator tokenized at submission: a job past queued had its data
        node["Spec"] = new JsonObject(ArgumentTable.Canonical(spec).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        return new Loaded(node.Deserialize<JobRecord>(Json)!, problem);
    }

    static Dictionary<string, string> Map(JsonObject? options) =>
        options?.ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? ArgumentTable.Null) ?? [];
}
