using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core.Reporting;
using FineTune.Core.Training;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// A job as the coordinator keeps it: spec, state, progress and results; persisted as job.json. Its state changes only
/// through the transitions below (queued -> preparing -> running -> succeeded; recovering back to preparing; failed or
/// cancelled from any state that is not final); any other change is refused loudly. Callers hold the store's lock
/// (JobStore.Update).
/// </summary>
public sealed class JobRecord
{
    public required string Id { get; init; }
    public required Dictionary<string, string> Options { get; init; }
    public string? RequestId { get; init; }
    public long CreatedUnixMs { get; init; }
    [JsonInclude, JsonConverter(typeof(JobStateJson))]
    public JobState State { get; private set; } = JobState.Queued;
    public int RequestedWorkers { get; set; }
    [JsonInclude] public List<string> Workers { get; private set; } = [];
    public string OutputDir { get; set; } = "";
    [JsonInclude] public string? Error { get; private set; }
    public int GlobalStep { get; set; }
    public int MaxSteps { get; set; }
    /// <summary>Fences groups: bumped by every recovery and every new group; reports of an older one are refused.</summary>
    [JsonInclude] public long Generation { get; private set; }
    [JsonInclude] public List<string> LabelNames { get; private set; } = [];
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

    public bool IsTerminal => State.IsFinal();
    /// <summary>A group holds (or is being given) the job: a fault now means recovering.</summary>
    public bool HasGroup => State is JobState.Preparing or JobState.Running;

    /// <summary>A group of workers is chosen: data and assignments are being prepared for it.</summary>
    public void Prepare(IReadOnlyList<string> workers)
    {
        Require("prepare", JobState.Queued, JobState.Recovering);
        Workers = [.. workers];
        State = JobState.Preparing;
    }

    /// <summary>The prepared group runs at this generation; a recovery's group (resumed) from the checkpoint named, if any.</summary>
    public void Run(long generation, IEnumerable<string> labelNames, bool resumed, string? resumedFrom)
    {
        Require("run", JobState.Preparing);
        if (generation <= Generation) throw new InvalidOperationException($"job {Id}: generation {generation} is not newer than {Generation}");
        Generation = generation;
        LabelNames = [.. labelNames];
        if (resumed) Recoveries[^1].ResumedFrom = resumedFrom;
        State = JobState.Running;
    }

    /// <summary>The group broke: fence it off with a new generation and wait for a new group.</summary>
    public void Recover(Recovery recovery)
    {
        Require("recover", JobState.Preparing, JobState.Running);
        Generation++;
        Recoveries.Add(recovery);
        State = JobState.Recovering;
    }

    /// <summary>The coordinator restarted: a job it was running recovers (a new generation fences its old group off).</summary>
    public void Reopen(long nowUnixMs)
    {
        if (State == JobState.Recovering) Generation++;
        else Recover(new Recovery { Reason = "the coordinator restarted", AtStep = GlobalStep, FromWorldSize = Workers.Count, StartedUnixMs = nowUnixMs });
    }

    public void Succeed()
    {
        Require("succeed", JobState.Running);
        State = JobState.Succeeded;
    }

    public void Fail(string error)
    {
        RequireNotFinal("fail");
        Error = error;
        State = JobState.Failed;
    }

    public void Cancel()
    {
        RequireNotFinal("cancel");
        Error = null;
        State = JobState.Cancelled;
    }

    void Require(string transition, params JobState[] from)
    {
        if (Array.IndexOf(from, State) < 0)
            throw new InvalidOperationException($"job {Id}: cannot {transition} a job that is {State.Name()} (only from {string.Join(" or ", from.Select(s => s.Name()))})");
    }

    void RequireNotFinal(string transition)
    {
        if (IsTerminal) throw new InvalidOperationException($"job {Id}: cannot {transition} a job that is already {State.Name()}");
    }

    /// <summary>The job object of the --json contract.</summary>
    public JsonObject ToJson()
    {
        var metrics = (JsonObject)Metrics.DeepClone();
        metrics["restarts"] = Restarts;
        var json = JobJson.Build(Id, State.Name(), Workers, OutputDir, BestCheckpoint, metrics, History.Select(LogEntry.FromJson), FinalEval, LabelNames, Error);
        json["recoveries"] = new JsonArray(Recoveries.Select(r => (JsonNode?)r.ToJson()).ToArray());
        return json;
    }

    /// <summary>job.json keeps the state's name ("running"), as coordinators before the enum wrote it.</summary>
    sealed class JobStateJson : JsonConverter<JobState>
    {
        public override JobState Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) => JobStates.Parse(reader.GetString() ?? "");
        public override void Write(Utf8JsonWriter writer, JobState value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name());
    }
}
