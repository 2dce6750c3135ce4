using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Core.Checkpointing;
using FineTune.Core.Reporting;

namespace FineTune.Core.Tests.Training;

public sealed class TrainerStateTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("finetune-state-").FullName;

    string StatePath => Path.Combine(_folder, "trainer_state.json");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static TrainerState Sample()
    {
        var state = new TrainerState
        {
            GlobalStep = 200,
            Epoch = 2,
            BestMetric = 0.91,
            BestModelCheckpoint = "out/checkpoint-200",
            LoggingSteps = 10,
            EvalSteps = 100,
            SaveSteps = 100,
            MaxSteps = 300,
            NumTrainEpochs = 3,
            TrainBatchSize = 8,
            Extra = new JsonObject
            {
                ["world_size"] = 2,
                ["data_seed"] = 42,
                ["shard_plan"] = new JsonObject { ["epoch"] = 2, ["offsets"] = new JsonArray(0, 512) },
            },
        };
        state.LogHistory.Add(new LogEntry(10, 0.1, new Dictionary<string, double> { ["loss"] = 0.69, ["learning_rate"] = 4.9e-5, ["grad_norm"] = 1.2 }));
        state.LogHistory.Add(new LogEntry(100, 1, new Dictionary<string, double> { ["eval_accuracy"] = 0.9, ["eval_loss"] = 0.3, ["eval_f1_macro"] = 0.89 }));
        return state;
    }

    [Fact]
    public void Save_then_load_round_trips_everything()
    {
        var saved = Sample();
        saved.Save(StatePath);

        var loaded = TrainerState.Load(StatePath);

        Assert.Equal(
            (200, 2.0, (double?)0.91, "out/checkpoint-200", 10, 100, 100, 300, 3, 8),
            (loaded.GlobalStep, loaded.Epoch, loaded.BestMetric, loaded.BestModelCheckpoint, loaded.LoggingSteps,
             loaded.EvalSteps, loaded.SaveSteps, loaded.MaxSteps, loaded.NumTrainEpochs, loaded.TrainBatchSize));
        Assert.Equal(saved.LogHistory, loaded.LogHistory);
        Assert.True(JsonNode.DeepEquals(saved.Extra, loaded.Extra), loaded.Extra.ToJsonString());
        Assert.Equal(File.ReadAllText(StatePath), SaveAndRead(loaded)); // byte-stable across a round trip
    }

    [Fact]
    public void Writes_hugging_face_key_names_sorted_like_json_dumps_sort_keys()
    {
        Sample().Save(StatePath);

        using var doc = JsonDocument.Parse(File.ReadAllText(StatePath));
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();

        string[] hf =
        [
            "best_metric", "best_model_checkpoint", "epoch", "eval_steps", "global_step", "is_hyper_param_search",
            "is_local_process_zero", "is_world_process_zero", "log_history", "logging_steps", "max_steps",
            "num_train_epochs", "save_steps", "total_flos", "train_batch_size", "trial_name", "trial_params",
        ];
        Assert.Equal(hf.Append("finetune").Order(StringComparer.Ordinal), keys);
        var root = doc.RootElement;
        Assert.Equal(200, root.GetProperty("global_step").GetInt32());
        Assert.Equal(0.91, root.GetProperty("best_metric").GetDouble());
        Assert.Equal(0, root.GetProperty("total_flos").GetDouble());
        Assert.True(root.GetProperty("is_world_process_zero").GetBoolean());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("trial_name").ValueKind);
        Assert.Equal(2, root.GetProperty("finetune").GetProperty("world_size").GetInt32());

        var first = root.GetProperty("log_history")[0];
        Assert.Equal(["epoch", "grad_norm", "learning_rate", "loss", "step"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(10, first.GetProperty("step").GetInt32());
        Assert.Equal(4.9e-5, first.GetProperty("learning_rate").GetDouble());
    }

    [Fact]
    public void Keeps_keys_it_does_not_model_and_omits_an_empty_extra()
    {
        // A state file as a recent transformers writes it, with fields this class has no property for.
        File.WriteAllText(StatePath, """
            {
              "best_global_step": 100, "best_metric": null, "best_model_checkpoint": null, "epoch": 1.0,
              "eval_steps": 500, "global_step": 125, "is_hyper_param_search": false, "is_local_process_zero": true,
              "is_world_process_zero": true, "log_history": [{"epoch": 1.0, "step": 125, "train_loss": 0.4}],
              "logging_steps": 500, "max_steps": 125, "num_input_tokens_seen": 0, "num_train_epochs": 1,
              "save_steps": 500, "stateful_callbacks": {"TrainerControl": {"args": {"should_save": true}, "attributes": {}}},
              "total_flos": 1.5e15, "train_batch_size": null, "trial_name": null, "trial_params": null
            }
            """);

        var state = TrainerState.Load(StatePath);
        Assert.Equal((125, 1.0, (double?)null, 0), (state.GlobalStep, state.Epoch, state.BestMetric, state.TrainBatchSize));
        Assert.Empty(state.Extra);
        state.Save(StatePath);

        var root = JsonNode.Parse(File.ReadAllText(StatePath))!.AsObject();
        Assert.Equal(100, (int)root["best_global_step"]!);
        Assert.Equal(1.5e15, (double)root["total_flos"]!);
        Assert.True((bool)root["stateful_callbacks"]!["TrainerControl"]!["args"]!["should_save"]!);
        Assert.False(root.ContainsKey("finetune"));
    }

    [Fact]
    public void Bad_json_is_invalid_input_naming_the_file()
    {
        File.WriteAllText(StatePath, "{\"global_step\": 12,");
        var e = Assert.Throws<InvalidInputException>(() => TrainerState.Load(StatePath));
        Assert.Contains(StatePath, e.Message);

        File.WriteAllText(StatePath, "{\"global_step\": \"twelve\"}");
        e = Assert.Throws<InvalidInputException>(() => TrainerState.Load(StatePath));
        Assert.Contains(StatePath, e.Message);
        Assert.Contains("global_step", e.Message);

        e = Assert.Throws<InvalidInputException>(() => TrainerState.Load(Path.Combine(_folder, "missing.json")));
        Assert.Contains("missing.json", e.Message);
    }

    [Fact]
    public void Save_replaces_the_file_and_leaves_no_temporary_behind()
    {
        File.WriteAllText(StatePath, "old");
        Sample().Save(StatePath);
        Sample().Save(StatePath);

        Assert.Equal(["trainer_state.json"], Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName));
        Assert.Equal(200, TrainerState.Load(StatePath).GlobalStep);
    }

    string SaveAndRead(TrainerState state)
    {
        var path = Path.Combine(_folder, "again.json");
        state.Save(path);
        return File.ReadAllText(path);
    }
}
