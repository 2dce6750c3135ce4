using System.Globalization;
using System.Text.Json.Nodes;

namespace FineTune.Core.Sweeps;

/// <summary>The outcomes of a trial: running until it ends succeeded, stopped (early stopping), failed or cancelled.</summary>
public static class TrialStates
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Stopped = "stopped";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>One evaluation of a trial: when, which (1 for the first), and the sweep metric's value.</summary>
public sealed record TrialPoint(DateTime At, int Evaluation, double Value);

/// <summary>
/// A trial as the sweep records it: its config, state, evaluations of the sweep metric (its score is the last one's),
/// and why it ended. Guards its own state: points only while running, and one end.
/// </summary>
public sealed class SweepTrial(int index, TrialConfig config, DateTime started)
{
    readonly List<TrialPoint> points = [];

    public int Index { get; } = index;
    public TrialConfig Config { get; } = config;
    public DateTime Started { get; } = started;
    public DateTime? Ended { get; private set; }
    public string State { get; private set; } = TrialStates.Running;

    /// <summary>Why it stopped or failed; null otherwise.</summary>
    public string? Reason { get; private set; }

    public IReadOnlyList<TrialPoint> Points => points;
    public int Evaluations => points.Count;

    /// <summary>The trial's score: its last evaluation's metric; null before any.</summary>
    public double? Value => points.Count > 0 ? points[^1].Value : null;

    public string Name => $"trial-{Index}";

    /// <summary>A sampler's evidence: the succeeded and stopped trials with a score.</summary>
    public static IReadOnlyList<TrialOutcome> Outcomes(IEnumerable<SweepTrial> trials) => [.. trials
        .Where(t => t.State is TrialStates.Succeeded or TrialStates.Stopped && t.Value is not null)
        .Select(t => new TrialOutcome(t.Index, t.Config, t.Value!.Value, t.Evaluations, t.State == TrialStates.Stopped))];

    public void Evaluated(DateTime at, double value)
    {
        if (State != TrialStates.Running) throw new InvalidOperationException($"{Name} is {State}: no more evaluations");
        points.Add(new TrialPoint(at, points.Count + 1, value));
    }

    /// <summary>Ends the trial once: succeeded, stopped, failed or cancelled, with the reason for the last three.</summary>
    public void End(string state, DateTime at, string? reason = null)
    {
        if (State != TrialStates.Running) throw new InvalidOperationException($"{Name} already ended {State}");
        if (state == TrialStates.Running) throw new ArgumentException("a trial ends in a final state", nameof(state));
        (State, Ended, Reason) = (state, at, reason);
    }

    public JsonObject ToJson() => new()
    {
        ["trial"] = Index,
        ["params"] = new JsonObject(Config.Values.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        ["state"] = State,
        ["metric"] = Value,
        ["evaluations"] = Evaluations,
        ["reason"] = Reason,
        ["started"] = Started.ToString("O", CultureInfo.InvariantCulture),
        ["ended"] = Ended?.ToString("O", CultureInfo.InvariantCulture),
        ["points"] = new JsonArray([.. points.Select(p => (JsonNode)new JsonObject
        {
            ["at"] = p.At.ToString("O", CultureInfo.InvariantCulture),
            ["evaluation"] = p.Evaluation,
            ["value"] = p.Value,
        })]),
    };

    /// <summary>A trial read back from its record (a restarted coordinator rebuilds its sweeps from these).</summary>
    public static SweepTrial FromJson(JsonObject json)
    {
        var config = new TrialConfig(((JsonObject?)json["params"] ?? []).Select(kv => KeyValuePair.Create(kv.Key, (string)kv.Value!)));
        var trial = new SweepTrial((int)json["trial"]!, config, Time(json["started"])!.Value);
        foreach (var p in (json["points"] as JsonArray ?? []).OfType<JsonObject>())
            trial.points.Add(new TrialPoint(Time(p["at"])!.Value, (int)p["evaluation"]!, (double)p["value"]!));
        if ((string?)json["state"] is { } state && state != TrialStates.Running)
            (trial.State, trial.Ended, trial.Reason) = (state, Time(json["ended"]), (string?)json["reason"]);
        return trial;
    }

    static DateTime? Time(JsonNode? node) =>
        node is null ? null : DateTime.Parse((string)node!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
