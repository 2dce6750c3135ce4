using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Contracts.Transfers;
using FineTune.Core.Reporting;

namespace FineTune.Core.Checkpointing;

/// <summary>
/// Hugging Face's trainer_state.json (saved in every checkpoint): progress, best metric and the log history, with HF's
/// key names so Python tools read it, plus our own <c>"finetune"</c> object (<see cref="Extra"/>) for resume data that
/// HF keeps in other files. Keys this class does not model (HF's <c>stateful_callbacks</c>, <c>total_flos</c>, keys of
/// newer HF versions) are kept from <see cref="Load"/> and written back unchanged by <see cref="Save"/>.
/// </summary>
public sealed class TrainerState
{
    const string ExtraKey = "finetune";

    // Fields HF's TrainerState always has that we do not track: written with HF's defaults unless a loaded file had them.
    static readonly (string Key, Func<JsonNode?> Default)[] HfDefaults =
    [
        ("is_hyper_param_search", () => JsonValue.Create(false)),
        ("is_local_process_zero", () => JsonValue.Create(true)),
        ("is_world_process_zero", () => JsonValue.Create(true)),
        ("total_flos", () => JsonValue.Create(0)),
        ("trial_name", () => null),
        ("trial_params", () => null),
    ];

    static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // Paths and label names stay readable (HF writes UTF-8 too); the file is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // Keys from a loaded file that no property models, written back as they were.
    JsonObject _unknown = new();

    public int GlobalStep { get; set; }
    public double Epoch { get; set; }
    public double? BestMetric { get; set; }
    public string? BestModelCheckpoint { get; set; }
    public List<LogEntry> LogHistory { get; } = new();
    public int LoggingSteps { get; set; }
    public int EvalSteps { get; set; }
    public int SaveSteps { get; set; }
    public int MaxSteps { get; set; }
    public int NumTrainEpochs { get; set; }
    public int TrainBatchSize { get; set; }

    /// <summary>Our resume data, written under <c>"finetune"</c> (left out while empty, so the file is plain HF).</summary>
    public JsonObject Extra { get; set; } = new();

    /// <summary>The file's content: keys sorted as HF's <c>json.dumps(..., indent=2, sort_keys=True)</c> writes them.</summary>
    public JsonObject ToJson()
    {
        var o = new Dictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["best_metric"] = BestMetric is { } best ? LogEntry.Number(best) : null,
            ["best_model_checkpoint"] = BestModelCheckpoint,
            ["epoch"] = LogEntry.Number(Epoch),
            ["eval_steps"] = EvalSteps,
            ["global_step"] = GlobalStep,
            ["log_history"] = new JsonArray(LogHistory.Select(e => (JsonNode?)Sorted(e.ToJson())).ToArray()),
            ["logging_steps"] = LoggingSteps,
            ["max_steps"] = MaxSteps,
            ["num_train_epochs"] = NumTrainEpochs,
            ["save_steps"] = SaveSteps,
            ["train_batch_size"] = TrainBatchSize,
        };
        foreach (var (key, make) in HfDefaults) o[key] = make();
        foreach (var (key, node) in _unknown) o[key] = node?.DeepClone();
        if (Extra.Count > 0) o[ExtraKey] = Extra.DeepClone();
        return Sorted(new JsonObject(o));
    }

    /// <summary>Writes the file atomically (temporary sibling, then rename): a crash never leaves a torn state.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson().ToJsonString(Indented) + "\n");

    /// <summary>Reads a file written by <see cref="Save"/> or by Hugging Face; problems name the file.</summary>
    public static TrainerState Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidInputException($"trainer state '{path}' does not exist", e);
        }

        JsonObject root;
        try
        {
            root = JsonNode.Parse(text) as JsonObject
                ?? throw new InvalidInputException($"trainer state '{path}' is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"trainer state '{path}' is not valid JSON: {e.Message}", e);
        }

        try
        {
            return FromJson(root);
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"trainer state '{path}': {e.Message}", e);
        }
    }

    /// <summary>Reads the object <see cref="ToJson"/> writes; absent or null fields keep their defaults.</summary>
    public static TrainerState FromJson(JsonObject root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var state = new TrainerState();
        foreach (var (key, node) in root)
        {
            switch (key)
            {
                case "global_step": state.GlobalStep = Int(key, node); break;
                case "epoch": state.Epoch = Double(key, node) ?? 0; break;
                case "best_metric": state.BestMetric = Double(key, node); break;
                case "best_model_checkpoint": state.BestModelCheckpoint = String(key, node); break;
                case "logging_steps": state.LoggingSteps = Int(key, node); break;
                case "eval_steps": state.EvalSteps = Int(key, node); break;
                case "save_steps": state.SaveSteps = Int(key, node); break;
                case "max_steps": state.MaxSteps = Int(key, node); break;
                case "num_train_epochs": state.NumTrainEpochs = Int(key, node); break;
                case "train_batch_size": state.TrainBatchSize = Int(key, node); break;
                case "log_history":
                    if (node is null) break;
                    if (node is not JsonArray entries) throw new InvalidInputException("\"log_history\" must be an array");
                    foreach (var entry in entries)
                        state.LogHistory.Add(LogEntry.FromJson(entry as JsonObject
                            ?? throw new InvalidInputException("\"log_history\" entries must be objects")));
                    break;
                case ExtraKey:
                    if (node is null) break;
                    state.Extra = node.DeepClone() as JsonObject
                        ?? throw new InvalidInputException($"\"{ExtraKey}\" must be an object");
                    break;
                default:
                    state._unknown[key] = node?.DeepClone();
                    break;
            }
        }
        return state;
    }

    static double? Double(string key, JsonNode? node)
    {
        if (node is null) return null;
        return LogEntry.TryNumber(node, out var value) ? value : throw new InvalidInputException($"\"{key}\" must be a number");
    }

    // HF writes some of these as null (train_batch_size before training) or as 3.0: both are accepted.
    static int Int(string key, JsonNode? node)
    {
        var value = Double(key, node);
        if (value is null) return 0;
        if (value != Math.Floor(value.Value) || value < int.MinValue || value > int.MaxValue)
            throw new InvalidInputException($"\"{key}\" must be an integer, not {value}");
        return (int)value.Value;
    }

    static string? String(string key, JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new InvalidInputException($"\"{key}\" must be a string or null"),
    };

    static JsonObject Sorted(JsonObject o)
    {
        var sorted = new JsonObject();
        foreach (var (key, node) in o.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray())
        {
            o.Remove(key); // a node can have one parent only
            sorted[key] = node;
        }
        return sorted;
    }
}
