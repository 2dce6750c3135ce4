using System.Text.Json.Nodes;
using FineTune.Core.Training;

namespace FineTune.Coordinator.Jobs;

/// <summary>A job as the coordinator keeps it: spec, state, progress and results; persisted as job.json.</summary>
public sealed class JobRecord
{
    public static readonly string[] Terminal = ["succeeded", "failed", "cancelled"];

    public required string Id { get; init; }
    public required Dictionary<string, string> Options { get; init; }
    public string? RequestId { get; init; }
    public long CreatedUnixMs { get; init; }
    public string State { get; set; } = "queued";
    public int RequestedWorkers { get; set; }
    public List<string> Workers { get; set; } = [];
    public string OutputDir { get; set; } = "";
    public string? Error { get; set; }
    public int GlobalStep { get; set; }
    public int MaxSteps { get; set; }
    public long Generation { get; set; }
    public List<string> LabelNames { get; set; } = [];
    public List<JsonObject> History { get; set; } = [];
    public JsonObject Metrics { get; set; } = [];
    public EvalResult? FinalEval { get; set; }

    public bool IsTerminal => Terminal.Contains(State);

    /// <summary>The job object of the --json contract.</summary>
    public JsonObject ToJson() => JobJson.Build(Id, State, Workers, OutputDir, null, (JsonObject)Metrics.DeepClone(),
        History.Select(LogEntry.FromJson), FinalEval, LabelNames, Error);
}
