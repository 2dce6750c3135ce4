using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Core.Sweeps;

namespace FineTune.Coordinator.Sweeps;

/// <summary>
/// sweep.json in and out: the sweep file's text (parsed again at load: the spec, the sampler and ASHA come from it),
/// the trials as SweepTrial JSON with their jobs, and ASHA's reports in arrival order (replayed at load).
/// </summary>
public static class SweepFile
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Write(SweepRecord s) => new JsonObject
    {
        ["id"] = s.Id,
        ["name"] = s.Name,
        ["text"] = s.Text,
        ["paths"] = new JsonObject(s.Paths.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["request_id"] = s.RequestId,
        ["created_unix_ms"] = s.CreatedUnixMs,
        ["state"] = s.State,
        ["error"] = s.Error,
        ["ended_unix_ms"] = s.EndedUnixMs,
        ["data_folder"] = s.DataFolder,
        ["best_trial"] = s.BestTrial,
        ["test_job_id"] = s.TestJob,
        ["test_metrics"] = s.TestMetrics is null ? null : new JsonObject(s.TestMetrics.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["trials"] = new JsonArray([.. s.Trials.Select(t => (JsonNode)Trial(t, s.TrialJobs[t.Index]))]),
        ["asha_reports"] = new JsonArray([.. s.Reports.Select(r => (JsonNode)new JsonArray(r.TrialIndex, r.Evaluations, r.Value))]),
    }.ToJsonString(Indented);

    /// <summary>A record read back; the sweep file is parsed again (InvalidInputException when it no longer parses).</summary>
    public static SweepRecord Read(string text)
    {
        var o = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException("sweep.json: expected a JSON object");
        var (name, fileText) = ((string)o["name"]!, (string)o["text"]!);
        var record = new SweepRecord((string)o["id"]!, name, fileText, SweepSpec.Parse(fileText, name), (long)o["created_unix_ms"]!, (string?)o["request_id"],
            (o["paths"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => (string)kv.Value!));
        var trials = (o["trials"] as JsonArray ?? []).OfType<JsonObject>().Select(t => (SweepTrial.FromJson(t), (string)t["job_id"]!));
        var reports = (o["asha_reports"] as JsonArray ?? []).OfType<JsonArray>().Select(r => new AshaReport((int)r[0]!, (int)r[1]!, (double)r[2]!));
        var test = (o["test_metrics"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => (double)kv.Value!);
        record.Restore((string)o["state"]!, (string?)o["error"], (long?)o["ended_unix_ms"], (string?)o["data_folder"], (int?)o["best_trial"], test, (string?)o["test_job_id"], trials, reports);
        return record;
    }

    static JsonObject Trial(SweepTrial t, string jobId)
    {
        var json = t.ToJson();
        json["job_id"] = jobId;
        return json;
    }
}
