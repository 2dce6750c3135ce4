using System.Text.Json.Nodes;

namespace FineTune.Coordinator.Jobs;

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

    /// <summary>The recovery that followed the same error (type and first line) at the same step, if any: met again, it is
    /// a deterministic failure that another restart would only repeat.</summary>
    public static Recovery? Earlier(IEnumerable<Recovery> recoveries, string failure, int step) =>
        recoveries.FirstOrDefault(r => r.FailedStep == step && r.Failure == failure);

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
