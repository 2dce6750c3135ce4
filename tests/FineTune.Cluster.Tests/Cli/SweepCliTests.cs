using System.Text.Json.Nodes;
using FineTune.Core.Tests.Training;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>`finetune sweep` as a real process: a bad sweep file refused in one line before any trial, and a 2-trial grid
/// on a tiny model whose --json names the best trial and the test set's one scoring, with the best model evaluable.</summary>
public class SweepCliTests
{
    [Fact]
    public void A_bad_sweep_file_is_refused_with_one_line_naming_the_key_and_exit_2()
    {
        var dir = Directory.CreateTempSubdirectory("finetune-sweep-").FullName;
        var file = Path.Combine(dir, "sweep.yaml");
        File.WriteAllText(file, "base: {dataset: default}\ntrials: 2\nspace:\n  learning_rate: {uniform: [-1, 1]}\n");
        var r = FinetuneProcess.Run("sweep", "-f", file, "--output", Path.Combine(dir, "out"));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: {file}: line 4: space.learning_rate: --learning-rate (learning_rate): must be greater than 0, got -1", r.Stderr.Trim());
        Assert.False(Directory.Exists(Path.Combine(dir, "out"))); // refused before anything ran
    }

    [Fact]
    public void A_grid_sweep_prints_its_trials_and_the_best_models_test_score_and_the_best_model_evaluates()
    {
        var (model, dataset, output) = TinyJobs.Setup(100);
        var file = Path.Combine(Path.GetDirectoryName(output)!, "sweep.json");
        File.WriteAllText(file, new JsonObject
        {
            ["base"] = new JsonObject { ["model"] = model, ["dataset"] = dataset, ["num_train_epochs"] = 2, ["max_length"] = 32, ["threads"] = 1 },
            ["sampler"] = "grid",
            ["trials"] = 2,
            ["space"] = new JsonObject { ["learning_rate"] = new JsonObject { ["choice"] = new JsonArray(1e-2, 1e-3) } },
        }.ToJsonString());
        var r = FinetuneProcess.Run("sweep", "-f", file, "--output", output, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var sweep = JsonNode.Parse(r.Stdout)!; // only the JSON on stdout
        Assert.Equal(["0.01", "0.001"], sweep["trials"]!.AsArray().Select(t => (string)t!["params"]!["learning_rate"]!));
        Assert.All(sweep["trials"]!.AsArray(), t => Assert.Equal("succeeded", (string)t!["state"]!));
        var best = sweep["best"]!;
        Assert.Equal(20, (int)best["test"]!["test_samples"]!); // the base's eval_split 0.2 of 100 rows, scored once

        var e = FinetuneProcess.Run("evaluate", "--model", Path.Combine(output, "best"), "--dataset", Path.Combine(output, "data", "test"), "--json");
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.Equal((double)best["test"]!["test_accuracy"]!, (double)JsonNode.Parse(e.Stdout)!["eval_accuracy"]!, 6);
    }
}
