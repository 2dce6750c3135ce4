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
    /// <summary>--min-workers: the fewest ranks the job may continue with after losing workers.</summary>
    public int MinWorkers { get; set; }
    /// <summary>The newest checkpoint the coordinator holds (a folder name under CheckpointsDir); recoveries resume from it.</summary>
    public string? LastCheckpoint { get; set; }
    public string? BestCheckpoint { get; set; }
    public List<Recovery> Recoveries { get; set; } = [];
    public int Restarts => Recoveries.Count;

    public bool IsTerminal => Terminal.Contains(State);

    /// <summary>The job object of the --json contract.</summary>
    public JsonObject ToJson()
    {
        var metrics = (JsonObject)Metrics.DeepClone();
        metrics["restarts"] = Restarts;
        var json = JobJson.Build(Id, State, Workers, OutputDir, BestCheckpoint, metrics, History.Select(LogEntry.FromJson), FinalEval, LabelNames, Error);
        json["recoveries"] = new JsonArray(Recoveries.Select(r => (JsonNode?)r.ToJson()).ToArray());
        return json;
    }
}

/// <summary>One recovery: why, where training stood, the group before and after, and the time lost (fault to training again).</summary>
public sealed class Recovery
{
    public required string Reason { get; init; }
    public int AtStep { get; init; }
    public int FromWorldSize { get; init; }
    public int ToWorldSize { get; set; }
    public string? ResumedFrom { get; set; }
    public long StartedUnixMs { get; init; }
    /// <summary>Seconds from the fault's detection to the new group's first step; null until then.</summary>
    public double? Seconds { get; set; }
    /// <summary>For a rank's own error: the error (type and first line) and the step it failed at, to recognise the
    /// same error recurring at the same step (a deterministic failure). Kept in job.json only.</summary>
    public string? Failure { get; init; }
    public int? FailedStep { get; init; }

    public JsonObject ToJson() => new()
    {
        ["reason"] = Reason,
        ["at_step"] = AtStep,
        ["from_world_size"] = FromWorldSize,
        ["to_world_size"] = ToWorldSize,
        ["resumed_from"] = ResumedFrom,
        ["seconds"] = Seconds,
    };
}
