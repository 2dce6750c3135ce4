using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core.Arguments;
using FineTune.Core.Checkpointing;
using FineTune.Core.Hub;
using FineTune.Core.Reporting;
using FineTune.Core.Training;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// A job as the coordinator keeps it: its spec (bound once, at submission), state, progress and results; persisted as
/// job.json. Its state changes only through the transitions below (queued -> preparing -> running -> succeeded;
/// recovering back to preparing; failed, cancelled or stopped from any state that is not final; a queued job's data becomes
/// ready once); any other change is refused loudly. Callers hold the store's lock (JobLifecycle, through JobStore.Update).
/// </summary>
public sealed class JobRecord
{
    public required string Id { get; init; }

    /// <summary>A new job id: job-DATE-TIME-6 hex digits (UTC), so ids sort by creation.</summary>
    public static string NewId() => $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
    /// <summary>The job's options, bound and validated once at submission; stored in the table's canonical form.</summary>
    [JsonConverter(typeof(SpecJson))]
    public required TrainingArguments Spec { get; init; }
    public string? RequestId { get; init; }
    /// <summary>The sweep this job is a trial of (Sweeps/SweepRecord); null for an ordinary job.</summary>
    public string? SweepId { get; init; }
    /// <summary>What the job does (JobKinds): train, or evaluate (one rank scores its model; a sweep's test set).</summary>
    public string Kind { get; init; } = JobKinds.Train;
    [JsonIgnore] public bool IsEvaluation => Kind == JobKinds.Evaluate;
    public long CreatedUnixMs { get; init; }
    [JsonInclude, JsonConverter(typeof(JobStateJson))]
    public JobState State { get; private set; } = JobState.Queued;
    public int RequestedWorkers { get; set; }
    [JsonInclude] public List<string> Workers { get; private set; } = [];
    public string OutputDir { get; set; } = "";
    [JsonInclude] public string? Error { get; private set; }
    [JsonInclude, JsonConverter(typeof(JsonStringEnumConverter<FailureKind>))] public FailureKind FailureKind { get; private set; }
    /// <summary>Why the coordinator stopped the job early (stopped only; null in a record written before the state existed).</summary>
    [JsonInclude] public string? StopReason { get; private set; }
    /// <summary>The job's data is read, labelled and tokenized (in the tokenization cache): it may take workers.</summary>
    [JsonInclude] public bool DataReady { get; private set; }
    /// <summary>
    /// The data work's progress while it runs; not persisted (a restarted coordinator starts the work again), so a
    /// loaded record says only ready, failed or waiting.
    /// </summary>
    [JsonIgnore]
    public DataProgress Data
    {
        get => data ?? new DataProgress { Phase = DataReady ? DataPhase.Ready : State == JobState.Failed ? DataPhase.Failed : DataPhase.Waiting };
        private set => data = value;
    }

    DataProgress? data;
    [JsonInclude] public int GlobalStep { get; private set; }
    [JsonInclude] public int MaxSteps { get; private set; }
    /// <summary>Fences groups: bumped by every recovery and every new group; reports of an older one are refused.</summary>
    [JsonInclude] public long Generation { get; private set; }
    [JsonInclude] public List<string> LabelNames { get; private set; } = [];
    /// <summary>What the job took from the hub: per input (model, dataset, eval_dataset) its id, revision and commit.</summary>
    [JsonInclude] public JsonObject? Hub { get; private set; }
    /// <summary>push_to_hub's push of the output (its state, repo, commit or reason); a failed push never fails the job.</summary>
    [JsonInclude, JsonConverter(typeof(PushJson))] public JobPush? Push { get; private set; }
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
    /// <summary>The job runs with the group of <paramref name="generation"/>: that group's reports count, any other's do not.</summary>
    public bool RunsGeneration(long generation) => Generation == generation && State == JobState.Running;

    /// <summary>A group holds (or is being given) the job: a fault now means recovering.</summary>
    public bool HasGroup => State is JobState.Preparing or JobState.Running;

    /// <summary>The data work reports progress (a queued job whose data is not ready yet).</summary>
    public void Progress(DataProgress progress)
    {
        Require("report data progress for", JobState.Queued);
        Data = progress;
    }

    /// <summary>The job's hub ids are in the coordinator's cache, at these commits (recorded once, before the data is read).</summary>
    public void HubResolved(JsonObject sources)
    {
        Require("record the hub commits of", JobState.Queued);
        if (Hub is not null) throw new InvalidOperationException($"job {Id}: its hub commits are recorded already");
        Hub = sources;
    }

    /// <summary>The push of the output moved on (pending, pushing, pushed or failed): any state of the job.</summary>
    public void Pushed(JobPush push) => Push = push.Clone() is var p && p.UpdatedUnixMs == 0 ? WithTime(p) : p;

    static JobPush WithTime(JobPush p)
    {
        p.UpdatedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return p;
    }

    /// <summary>The spec with the hub ids' snapshot folders in <paramref name="cache"/> in their place: where the inputs are read.</summary>
    public TrainingArguments LocalSpec(HubCache? cache) => cache is null || Hub is null ? Spec : HubInputs.FromSources(Hub, cache).Apply(Spec);

    /// <summary>The data is read and tokenized: the queued job may now take workers.</summary>
    public void DataPrepared()
    {
        Require("finish the data of", JobState.Queued);
        if (DataReady) throw new InvalidOperationException($"job {Id}: its data is ready already");
        DataReady = true;
        Data = new DataProgress { Phase = DataPhase.Ready, ExamplesRead = Data.ExamplesRead, ExamplesTokenized = Data.ExamplesTotal, ExamplesTotal = Data.ExamplesTotal };
    }

    /// <summary>The data work hit a fault (I/O): it counts as a recovery and runs again; the job stays queued.</summary>
    public void RetryData(Recovery recovery)
    {
        Require("retry the data of", JobState.Queued);
        Recoveries.Add(recovery);
        Data = new DataProgress { Phase = DataPhase.Waiting };
    }

    /// <summary>Rank 0 of the current group reached a step; the first step after a recovery closes its time lost.</summary>
    public void Step(int step, int maxSteps, long nowUnixMs)
    {
        Require("record a step of", JobState.Running);
        if (Recoveries is [.., { Seconds: null } recovery]) recovery.Seconds = Math.Round((nowUnixMs - recovery.StartedUnixMs) / 1000.0, 2);
        GlobalStep = step;
        MaxSteps = maxSteps;
    }

    /// <summary>Rank 0's final report: the step it ended at.</summary>
    public void Finish(int globalStep)
    {
        Require("finish", JobState.Running);
        GlobalStep = globalStep;
    }

    /// <summary>A group of workers is chosen: data and assignments are being prepared for it.</summary>
    public void Prepare(IReadOnlyList<string> workers)
    {
        Require("prepare", JobState.Queued, JobState.Recovering);
        if (State == JobState.Queued && !DataReady) throw new InvalidOperationException($"job {Id}: cannot prepare a job whose data is not ready");
        if (State == JobState.Recovering) Recoveries[^1].ToWorldSize = workers.Count;
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
        if (resumed)
        {
            Recoveries[^1].ResumedFrom = resumedFrom;
            // The new group replays the steps after its checkpoint (every step without one) and logs them again: the
            // history keeps only what came before, as Trainer's log_history does on a resume (the checkpoint's state).
            int from = resumedFrom is null ? 0 : Checkpoints.StepOf(resumedFrom) ?? 0;
            History.RemoveAll(e => e["step"] is JsonValue s && s.TryGetValue<int>(out var step) && step > from);
        }
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

    public void Fail(string error, FailureKind kind)
    {
        RequireNotFinal("fail");
        Error = error;
        FailureKind = kind == FailureKind.Unspecified ? FailureKind.Fault : kind;
        if (!DataReady) Data = new DataProgress(Data) { Phase = DataPhase.Failed };
        State = JobState.Failed;
    }

    public void Cancel()
    {
        RequireNotFinal("cancel");
        Error = null;
        State = JobState.Cancelled;
    }

    /// <summary>
    /// The coordinator ends the job early by its own decision (a sweep dropping a poor trial): an outcome of its own,
    /// neither success nor failure, with the reason. History, metrics and checkpoints stay as they are.
    /// </summary>
    public void Stop(string reason)
    {
        RequireNotFinal("stop");
        if (string.IsNullOrWhiteSpace(reason)) throw new ArgumentException($"job {Id}: stopping a job needs a reason", nameof(reason));
        Error = null;
        StopReason = reason.Trim();
        State = JobState.Stopped;
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
        json["data"] = new JsonObject
        {
            ["phase"] = Data.Phase,
            ["examples_read"] = Data.ExamplesRead,
            ["examples_tokenized"] = Data.ExamplesTokenized,
            ["examples_total"] = Data.ExamplesTotal,
        };
        json["failure_kind"] = State == JobState.Failed ? FailureKinds.Name(FailureKind) : null;
        json["stop_reason"] = State == JobState.Stopped ? StopReason : null;
        json["sweep_id"] = SweepId; // the sweep this job is a trial (or the test scoring) of; null for an ordinary job
        json["kind"] = Kind;
        if (Hub is not null) json["hub"] = Hub.DeepClone();
        if (Push is not null) json["push"] = JsonNode.Parse(Google.Protobuf.JsonFormatter.Default.Format(Push));
        return json;
    }

    /// <summary>The push in job.json as the proto's JSON form.</summary>
    sealed class PushJson : JsonConverter<JobPush>
    {
        public override JobPush Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) =>
            JobPush.Parser.ParseJson(JsonDocument.ParseValue(ref reader).RootElement.GetRawText());

        public override void Write(Utf8JsonWriter writer, JobPush value, JsonSerializerOptions options) =>
            writer.WriteRawValue(Google.Protobuf.JsonFormatter.Default.Format(value));
    }

    /// <summary>The spec in job.json: the table's canonical form, bound again by the same table (see JobFile for old records).</summary>
    sealed class SpecJson : JsonConverter<TrainingArguments>
    {
        public override TrainingArguments Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) =>
            ArgumentTable.Bind(JsonSerializer.Deserialize<Dictionary<string, string>>(ref reader, options)!);
        public override void Write(Utf8JsonWriter writer, TrainingArguments value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, ArgumentTable.Canonical(value).ToDictionary(kv => kv.Key, kv => kv.Value), options);
    }

    /// <summary>job.json keeps the state's name ("running"), as coordinators before the enum wrote it.</summary>
    sealed class JobStateJson : JsonConverter<JobState>
    {
        public override JobState Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) => JobStates.Parse(reader.GetString() ?? "");
        public override void Write(Utf8JsonWriter writer, JobState value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name());
    }
}
