using System.Text.Json.Nodes;
using FineTune.Core.Training;

namespace FineTune.Core.Reporting;

/// <summary>
/// The job object of the CLI's --json contract (docs/cli.md), built in one place for `finetune train`
/// and for the coordinator's Jobs API.
/// </summary>
public static class JobJson
{
    public static JsonObject Build(string id, string state, IReadOnlyList<string> workers, string? outputDir, string? bestCheckpoint,
        JsonObject metrics, IEnumerable<LogEntry> history, EvalResult? eval, IReadOnlyList<string> labelNames, string? error) => new()
        {
            ["id"] = id,
            ["state"] = state,
            ["world_size"] = workers.Count,
            ["workers"] = new JsonArray(workers.Select(w => (JsonNode?)w).ToArray()),
            ["output_dir"] = outputDir,
            ["best_checkpoint"] = bestCheckpoint,
            ["metrics"] = metrics,
            ["history"] = new JsonArray(history.Select(h => (JsonNode?)h.ToJson()).ToArray()),
            ["per_class"] = eval is null ? null : new JsonArray(eval.PerClass.Select(c => (JsonNode?)new JsonObject
            {
                ["label"] = c.Label,
                ["precision"] = c.Precision,
                ["recall"] = c.Recall,
                ["f1"] = c.F1,
                ["support"] = c.Support,
            }).ToArray()),
            ["confusion_matrix"] = eval is null ? null : new JsonArray(eval.ConfusionMatrix.Select(r => (JsonNode?)new JsonArray(r.Select(x => (JsonNode?)x).ToArray())).ToArray()),
            ["label_names"] = new JsonArray(labelNames.Select(l => (JsonNode?)l).ToArray()),
            ["error"] = error,
        };

    /// <summary>Hugging Face's train metrics names.</summary>
    public static JsonObject TrainMetrics(double epoch, double trainLoss, double runtime, int samples, int steps) => new()
    {
        ["epoch"] = Math.Round(epoch, 4),
        ["train_loss"] = trainLoss,
        ["train_runtime"] = Math.Round(runtime, 4),
        ["train_samples_per_second"] = Math.Round(samples / Math.Max(runtime, 1e-9), 3),
        ["train_steps_per_second"] = Math.Round(steps / Math.Max(runtime, 1e-9), 3),
        ["global_step"] = steps,
    };

    /// <summary>Hugging Face's eval metrics names.</summary>
    public static JsonObject EvalMetrics(double epoch, EvalResult? e) => e is null ? new JsonObject() : new JsonObject
    {
        ["epoch"] = Math.Round(epoch, 4),
        ["eval_accuracy"] = e.Accuracy,
        ["eval_f1_macro"] = e.F1Macro,
        ["eval_loss"] = e.Loss,
        ["eval_samples"] = e.Samples,
    };

    /// <summary>The "metrics" object of the job: train and eval metrics together, plus restarts.</summary>
    public static JsonObject Metrics(JsonObject train, JsonObject eval, int restarts)
    {
        var metrics = (JsonObject)train.DeepClone();
        foreach (var (k, v) in eval) if (k != "epoch") metrics[k] = v?.DeepClone();
        metrics["restarts"] = restarts;
        return metrics;
    }
}
