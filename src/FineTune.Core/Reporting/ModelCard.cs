using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FineTune.Core.Arguments;
using FineTune.Core.Torch;
using YamlDotNet.Serialization;

namespace FineTune.Core.Reporting;

/// <summary>What a model card says of a finished job: its options, group size, log history, final metrics and hub inputs.</summary>
/// <param name="Name">the model's name: hub_model_id's, else the output folder's</param>
/// <param name="HubSources">trainer_state.json's finetune.hub: each hub input's id, revision and commit (null: none)</param>
public sealed record ModelCardFacts(TrainingArguments Args, string Name, int WorldSize, IReadOnlyList<LogEntry> History, JsonObject EvalMetrics, JsonObject? HubSources);

/// <summary>
/// The README.md that Hugging Face's Trainer writes into an output folder (create_model_card): YAML metadata
/// (base_model, datasets, metrics, tags, model-index with the eval results), the hyperparameters, the per-evaluation
/// results table and the framework versions, plus the commits of the hub inputs. Written into every output folder.
/// </summary>
public static class ModelCard
{
    public const string FileName = "README.md";
    const string DefaultBaseModel = "sentence-transformers/all-MiniLM-L6-v2"; // what the bundled default model is

    public static void Write(string dir, ModelCardFacts facts) =>
        Contracts.Transfers.AtomicFile.WriteAllText(Path.Combine(dir, FileName), Render(facts));

    public static string Render(ModelCardFacts f)
    {
        var baseModel = (string?)f.HubSources?["model"]?["id"] ?? (f.Args.Model == "default" ? DefaultBaseModel : null);
        var dataset = (string?)f.HubSources?["dataset"]?["id"];
        var card = new StringBuilder("---\n").Append(new SerializerBuilder().Build().Serialize(Metadata(f, baseModel, dataset))).Append("---\n\n");
        card.Append($"# {f.Name}\n\n");
        card.Append($"This model is a fine-tuned version of {baseModel ?? Path.GetFileName(f.Args.Model.TrimEnd('/'))} on ")
            .Append(dataset is null ? "a local dataset" : $"the {dataset} dataset").Append(".\n");
        var results = Results(f.EvalMetrics).ToList();
        if (results.Count > 0)
        {
            card.Append("It achieves the following results on the evaluation set:\n");
            foreach (var (_, name, value) in results) card.Append($"- {name}: {Number(value)}\n");
        }
        card.Append("\n## Training procedure\n\n### Training hyperparameters\n\nThe following hyperparameters were used during training:\n");
        foreach (var (key, value) in Hyperparameters(f)) card.Append($"- {key}: {value}\n");
        card.Append(ResultsTable(f.History));
        card.Append("\n### Framework versions\n\n")
            .Append($"- FineTune.Distributed {Contracts.Versions.Product}\n- TorchSharp {TorchBuild.TorchSharpVersion} (libtorch {TorchBuild.BuiltAgainst})\n- .NET {Environment.Version}\n");
        if (f.HubSources is { Count: > 0 } sources)
        {
            card.Append("\n### Inputs from the Hugging Face Hub\n\n");
            foreach (var (input, source) in sources)
                card.Append($"- {input}: {source?["id"]} at revision {source?["revision"]}, commit {source?["commit"]}\n");
        }
        return card.ToString();
    }

    static Dictionary<string, object> Metadata(ModelCardFacts f, string? baseModel, string? dataset)
    {
        var results = Results(f.EvalMetrics).ToList();
        var meta = new Dictionary<string, object> { ["library_name"] = "transformers" };
        if (baseModel is not null) meta["base_model"] = baseModel;
        meta["tags"] = new[] { "generated_from_trainer", "text-classification", "finetune-distributed" };
        if (dataset is not null) meta["datasets"] = new[] { dataset };
        if (results.Count > 0) meta["metrics"] = results.Where(r => r.Type != "loss").Select(r => r.Type).ToArray();
        var entry = new Dictionary<string, object> { ["task"] = new Dictionary<string, string> { ["name"] = "Text Classification", ["type"] = "text-classification" } };
        if (dataset is not null)
        {
            var data = new Dictionary<string, string> { ["name"] = dataset, ["type"] = dataset, ["split"] = "test" };
            if (f.Args.DatasetConfig is { } config) data["config"] = config;
            entry["dataset"] = data;
        }
        entry["metrics"] = results.Where(r => r.Type != "loss")
            .Select(r => new Dictionary<string, object> { ["name"] = r.Name, ["type"] = r.Type, ["value"] = r.Value }).ToArray();
        meta["model-index"] = new[] { new Dictionary<string, object> { ["name"] = f.Name, ["results"] = results.Count > 0 ? new[] { entry } : Array.Empty<object>() } };
        return meta;
    }

    /// <summary>The final evaluation's metrics: (type, display name, value), loss first as the Trainer lists it.</summary>
    static IEnumerable<(string Type, string Name, double Value)> Results(JsonObject eval)
    {
        foreach (var (key, name, type) in new[] { ("eval_loss", "Loss", "loss"), ("eval_accuracy", "Accuracy", "accuracy"), ("eval_f1_macro", "F1 Macro", "f1") })
            if (eval[key] is JsonValue v && v.TryGetValue<double>(out var value)) yield return (type, name, value);
    }

    static IEnumerable<(string Key, string Value)> Hyperparameters(ModelCardFacts f)
    {
        var a = f.Args;
        var inv = CultureInfo.InvariantCulture;
        yield return ("learning_rate", a.LearningRate.ToString("R", inv));
        yield return ("train_batch_size", a.PerDeviceTrainBatchSize.ToString(inv));
        yield return ("eval_batch_size", a.PerDeviceEvalBatchSize.ToString(inv));
        yield return ("seed", a.Seed.ToString(inv));
        if (f.WorldSize > 1)
        {
            yield return ("distributed_type", "data-parallel (FineTune.Distributed workers, gradient all-reduce)");
            yield return ("num_devices", f.WorldSize.ToString(inv));
        }
        if (a.GradientAccumulationSteps > 1) yield return ("gradient_accumulation_steps", a.GradientAccumulationSteps.ToString(inv));
        if (f.WorldSize > 1 || a.GradientAccumulationSteps > 1)
            yield return ("total_train_batch_size", (a.PerDeviceTrainBatchSize * f.WorldSize * a.GradientAccumulationSteps).ToString(inv));
        yield return ("optimizer", $"AdamW with betas=({a.AdamBeta1.ToString(inv)},{a.AdamBeta2.ToString(inv)}) and epsilon={a.AdamEpsilon.ToString("R", inv)}");
        if (a.WeightDecay > 0) yield return ("weight_decay", a.WeightDecay.ToString(inv));
        yield return ("lr_scheduler_type", a.LrSchedulerType);
        if (a.WarmupRatio > 0) yield return ("lr_scheduler_warmup_ratio", a.WarmupRatio.ToString(inv));
        if (a.WarmupSteps > 0) yield return ("lr_scheduler_warmup_steps", a.WarmupSteps.ToString(inv));
        yield return a.MaxSteps > 0 ? ("training_steps", a.MaxSteps.ToString(inv)) : ("num_epochs", a.NumTrainEpochs.ToString(inv));
        if (a.Precision == "bf16") yield return ("mixed_precision_training", "bf16");
    }

    /// <summary>One row per evaluation: the last training loss logged by then, epoch, step and the eval metrics.</summary>
    static string ResultsTable(IReadOnlyList<LogEntry> history)
    {
        var evals = history.Where(e => e["eval_loss"] is not null).ToList();
        if (evals.Count == 0) return "";
        var table = new StringBuilder("\n### Training results\n\n| Training Loss | Epoch | Step | Validation Loss | Accuracy | F1 Macro |\n|:---:|:---:|:---:|:---:|:---:|:---:|\n");
        foreach (var e in evals)
        {
            var loss = history.LastOrDefault(h => h.Step <= e.Step && h["loss"] is not null)?["loss"];
            table.Append($"| {(loss is { } l ? Number(l) : "No log")} | {e.Epoch.ToString("0.##", CultureInfo.InvariantCulture)} | {e.Step} | {Number(e["eval_loss"]!.Value)} | {Cell(e["eval_accuracy"])} | {Cell(e["eval_f1_macro"])} |\n");
        }
        return table.ToString();
    }

    static string Cell(double? value) => value is { } v ? Number(v) : "";

    static string Number(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
