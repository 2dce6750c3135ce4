using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using FineTune.Contracts;
using FineTune.Contracts.V1;

namespace FineTune.AppHost.Dashboard;

/// <summary>The coordinator's jobs as one custom resource with an instance per job (its id is the job's id).</summary>
public sealed class JobsResource(string name) : Resource(name);

/// <summary>
/// One job as a dashboard row: its state with one style per JobState, and the properties a person scans (progress,
/// loss, eval accuracy, samples/s, workers, restarts, model and dataset, times, the hub push). Built from the Jobs API's
/// Job message alone, so a restarted AppHost rebuilds the same row from ListJobs.
/// </summary>
public static class JobRow
{
    public const string ResourceType = "Job";

    /// <summary>The property that nests a row under its parent on the resources page (Aspire's resource.parentName).</summary>
    public const string ParentProperty = "resource.parentName";

    /// <summary>A job id as an Aspire resource name: letters, digits and hyphens, starting with a letter.</summary>
    public static string NameOf(string jobId)
    {
        var name = new string([.. jobId.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]).Trim('-');
        return name.Length > 0 && char.IsAsciiLetter(name[0]) ? name : "job-" + name;
    }

    /// <summary>The row a job's row nests under: a trial's under its sweep's, any other under the coordinator.</summary>
    public static string ParentOf(Job job, string coordinator) => job.SweepId is { Length: > 0 } sweep ? SweepRow.NameOf(sweep) : coordinator;

    /// <summary>The dashboard's state style for a job state (null: the default, shown as running).</summary>
    public static string? StyleOf(JobState state) => state switch
    {
        JobState.Queued or JobState.Preparing => KnownResourceStateStyles.Info,
        JobState.Running => null,
        JobState.Recovering => KnownResourceStateStyles.Warn,
        JobState.Succeeded => KnownResourceStateStyles.Success,
        JobState.Failed => KnownResourceStateStyles.Error,
        JobState.Cancelled => KnownResourceStateStyles.Warn,
        JobState.Stopped => KnownResourceStateStyles.Info, // an expected early end (a sweep's poor trial): no warning, no error
        _ => KnownResourceStateStyles.Info,
    };

    /// <summary>The row for <paramref name="job"/>; <paramref name="hidden"/> for a job older than the newest 20.</summary>
    /// <paramref name="parent"/> is the coordinator's resolved resource name (the dashboard nests by it).
    public static CustomResourceSnapshot Snapshot(CustomResourceSnapshot previous, Job job, bool hidden, string parent)
    {
        var state = JobStates.StateOf(job);
        var json = Parse(job.Json);
        var metrics = json?["metrics"] as JsonObject;
        var created = DateTime.UnixEpoch.AddMilliseconds(job.CreatedUnixMs);
        return previous with
        {
            ResourceType = ResourceType,
            State = new ResourceStateSnapshot(state.Name(), StyleOf(state)),
            CreationTimeStamp = created,
            StartTimeStamp = created,
            StopTimeStamp = state.IsFinal() ? previous.StopTimeStamp ?? DateTime.UtcNow : null,
            IsHidden = hidden,
            // The orchestrator sets the parent's name only on the resource's own id, not on instances published by id.
            Properties = [.. Properties(job, json, metrics), new ResourcePropertySnapshot(ParentProperty, parent)],
            Relationships = [new RelationshipSnapshot(parent, "Parent")],
        };
    }

    static IEnumerable<ResourcePropertySnapshot> Properties(Job job, JsonObject? json, JsonObject? metrics)
    {
        var inv = CultureInfo.InvariantCulture;
        string Number(string key, string format) => metrics?[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString(format, inv) : "";
        var history = json?["history"] as JsonArray;
        var lastLoss = history?.OfType<JsonObject>().LastOrDefault(h => h["loss"] is not null)?["loss"];
        var lastEval = history?.OfType<JsonObject>().LastOrDefault(h => h["eval_accuracy"] is not null)?["eval_accuracy"];
        var epoch = history?.OfType<JsonObject>().LastOrDefault()?["epoch"];
        yield return Property("job.id", "Job", job.Id);
        yield return Property("job.kind", "Kind", job.Kind is "" ? JobKinds.Train : job.Kind); // evaluate: a sweep's test scoring
        yield return Property("job.progress", "Progress", job.MaxSteps > 0 ? $"step {job.GlobalStep} / {job.MaxSteps}" : job.Data?.Phase is { Length: > 0 } phase ? $"data: {phase}" : "");
        yield return Property("job.epoch", "Epoch", epoch is JsonValue e && e.TryGetValue<double>(out var ep) ? ep.ToString("0.##", inv) : "");
        yield return Property("job.loss", "Loss", lastLoss is JsonValue l && l.TryGetValue<double>(out var loss) ? loss.ToString("0.0000", inv) : Number("train_loss", "0.0000"));
        yield return Property("job.eval_accuracy", "Eval accuracy", Number("eval_accuracy", "0.0000") is { Length: > 0 } final ? final
            : lastEval is JsonValue a && a.TryGetValue<double>(out var acc) ? acc.ToString("0.0000", inv) : "");
        yield return Property("job.samples_per_second", "Samples/s", Number("train_samples_per_second", "0.0"));
        yield return Property("job.workers", "Workers", string.Join(", ", job.Workers));
        yield return Property("job.restarts", "Restarts", metrics?["restarts"]?.ToString() ?? "0");
        yield return Property("job.model", "Model", job.Options.TryGetValue("model", out var model) ? model : "");
        yield return Property("job.dataset", "Dataset", job.Options.TryGetValue("dataset", out var dataset) ? dataset : "");
        yield return Property("job.created", "Created", DateTime.UnixEpoch.AddMilliseconds(job.CreatedUnixMs).ToString("u", inv));
        yield return Property("job.error", "Error", job.Error);
        yield return Property("job.push", "Hub push", job.Push is { State.Length: > 0 } push ? $"{push.State} {push.Repo}{(push.Error.Length > 0 ? ": " + push.Error : "")}" : "");
    }

    internal static ResourcePropertySnapshot Property(string name, string display, string value) => new(name, value) { DisplayName = display };

    static JsonObject? Parse(string json)
    {
        try
        {
            return string.IsNullOrEmpty(json) ? null : JsonNode.Parse(json) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The initial, hidden snapshot of the resource itself (its instances are the rows).</summary>
    public static CustomResourceSnapshot Initial => new()
    {
        ResourceType = ResourceType,
        Properties = ImmutableArray<ResourcePropertySnapshot>.Empty,
        IsHidden = true,
    };
}
