using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using FineTune.Contracts;
using FineTune.Contracts.V1;

namespace FineTune.AppHost.Dashboard;

/// <summary>The coordinator's hyperparameter sweeps as one custom resource, an instance per sweep; trial jobs nest under it.</summary>
public sealed class SweepsResource(string name) : Resource(name);

/// <summary>
/// One sweep as a dashboard row, under the coordinator, with its trials' job rows under it: its state (one style per
/// state), the trials ended, running and stopped early of those planned, the best trial and its score, the test score.
/// </summary>
public static class SweepRow
{
    public const string ResourceType = "Sweep";

    /// <summary>A sweep id as an Aspire resource name (the same rule as a job's).</summary>
    public static string NameOf(string sweepId) => JobRow.NameOf(sweepId);

    public static string? StyleOf(string state) => state switch
    {
        SweepStates.Preparing or SweepStates.Scoring => KnownResourceStateStyles.Info,
        SweepStates.Running => null,
        SweepStates.Succeeded => KnownResourceStateStyles.Success,
        SweepStates.Failed => KnownResourceStateStyles.Error,
        SweepStates.Cancelled => KnownResourceStateStyles.Warn,
        _ => KnownResourceStateStyles.Info,
    };

    public static CustomResourceSnapshot Snapshot(CustomResourceSnapshot previous, Sweep sweep, string parent)
    {
        var inv = CultureInfo.InvariantCulture;
        var created = DateTime.UnixEpoch.AddMilliseconds(sweep.CreatedUnixMs);
        var best = sweep.Trials.FirstOrDefault(t => t.Index == sweep.BestTrial);
        int running = sweep.Trials.Count(t => t.State == "running");
        int stopped = sweep.Trials.Count(t => t.State == "stopped");
        return previous with
        {
            ResourceType = ResourceType,
            State = new ResourceStateSnapshot(sweep.State, StyleOf(sweep.State)),
            CreationTimeStamp = created,
            StartTimeStamp = created,
            StopTimeStamp = sweep.EndedUnixMs > 0 ? DateTime.UnixEpoch.AddMilliseconds(sweep.EndedUnixMs) : null,
            Properties =
            [
                JobRow.Property("sweep.id", "Sweep", sweep.Id),
                JobRow.Property("sweep.trials", "Trials", $"{sweep.Trials.Count - running} ended, {running} running, of {sweep.PlannedTrials} ({stopped} stopped early)"),
                JobRow.Property("sweep.metric", "Metric", $"{sweep.Metric} ({(sweep.GreaterIsBetter ? "higher" : "lower")} is better)"),
                JobRow.Property("sweep.best", "Best trial", best is null ? "" : string.Create(inv,
                    $"trial {best.Index}: {best.Metric:0.####} ({string.Join(", ", best.Params.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))})")),
                JobRow.Property("sweep.test", "Test accuracy", sweep.TestMetrics.TryGetValue("test_accuracy", out var test) ? test.ToString("0.####", inv) : ""),
                JobRow.Property("sweep.error", "Error", sweep.Error),
                new ResourcePropertySnapshot(JobRow.ParentProperty, parent),
            ],
            Relationships = [new RelationshipSnapshot(parent, "Parent")],
        };
    }

    /// <summary>The initial, hidden snapshot of the resource itself (its instances are the rows).</summary>
    public static CustomResourceSnapshot Initial => JobRow.Initial with { ResourceType = ResourceType };
}
