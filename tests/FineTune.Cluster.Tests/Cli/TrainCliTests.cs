using System.Text.Json;
using FineTune.Core.Tests.Training;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>`finetune train` and `evaluate` as real processes on a tiny model and a synthetic dataset.</summary>
public class TrainCliTests
{
    /// <summary>
    /// The held-out accuracy this tiny job must reach. Measured here: 1.0 (eval_loss 0.2747) on each of 4 runs, the same
    /// every time (one thread, seed 42); the job reaches 1.0 at epoch 3 of 5. The floor sits 0.1 below (4 of the 40 eval
    /// examples), so other float rounding still passes while a job that does not learn fails: chance is 0.5, which is
    /// what the earlier 2-epoch version of this job scored (one class predicted) while its test accepted [0.5, 1].
    /// </summary>
    const double AccuracyFloor = 0.9;

    [Fact]
    public void Train_json_follows_the_job_contract_and_evaluate_reproduces_its_accuracy()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        var evalDir = Path.Combine(Path.GetDirectoryName(dataset)!, "eval");
        Directory.CreateDirectory(evalDir);
        var evalSet = TinyJobs.WriteDataset(evalDir, 40, seed: 2); // held out: other sentences from the same generator
        var r = FinetuneProcess.Run("train", "--model", model, "--dataset", dataset, "--eval-dataset", evalSet, "--output", output, "--epochs", "5",
            "--learning-rate", "1e-2", "--max-length", "32", "--logging-steps", "4", "--threads", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal("succeeded", root.GetProperty("state").GetString());
        Assert.Equal(1, root.GetProperty("world_size").GetInt32());
        var metrics = root.GetProperty("metrics");
        foreach (var key in new[] { "eval_accuracy", "eval_f1_macro", "eval_loss", "train_loss", "train_runtime", "train_samples_per_second", "train_steps_per_second", "epoch", "global_step", "restarts" })
            Assert.True(metrics.TryGetProperty(key, out _), $"metrics.{key} missing");
        Assert.Equal(50, metrics.GetProperty("global_step").GetInt32()); // 80 train examples / 8 x 5 epochs
        Assert.Equal(40, metrics.GetProperty("eval_samples").GetInt32());
        var history = root.GetProperty("history").EnumerateArray().ToList();
        Assert.Contains(history, h => h.TryGetProperty("loss", out _) && h.TryGetProperty("learning_rate", out _) && h.TryGetProperty("grad_norm", out _));
        Assert.Equal([10, 20, 30, 40, 50], history.Where(h => h.TryGetProperty("eval_accuracy", out _)).Select(h => h.GetProperty("step").GetInt32())); // one per epoch
        Assert.Equal(2, root.GetProperty("per_class").GetArrayLength());
        Assert.Equal(2, root.GetProperty("confusion_matrix").GetArrayLength());
        Assert.Equal(["0", "1"], root.GetProperty("label_names").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error").ValueKind);
        var accuracy = metrics.GetProperty("eval_accuracy").GetDouble();
        Console.WriteLine($"tiny train job: eval_accuracy {accuracy:0.0000}, eval_loss {metrics.GetProperty("eval_loss").GetDouble():0.0000}");
        Assert.True(accuracy >= AccuracyFloor, $"eval_accuracy {accuracy:0.0000} is below the measured floor {AccuracyFloor}");

        // The exported model, evaluated on the same held-out file, reproduces the run's evaluation: same predictions.
        var e = FinetuneProcess.Run("evaluate", "--model", output, "--dataset", evalSet, "--json");
        Assert.True(e.ExitCode == 0, e.Stderr);
        using var eval = JsonDocument.Parse(e.Stdout);
        Assert.Equal(40, eval.RootElement.GetProperty("eval_samples").GetInt32());
        Assert.Equal(accuracy, eval.RootElement.GetProperty("eval_accuracy").GetDouble(), 0.005);
        Assert.Equal(Matrix(root.GetProperty("confusion_matrix")), Matrix(eval.RootElement.GetProperty("confusion_matrix")));

        var p = FinetuneProcess.Run("predict", "--model", output, "--text", "the food was great", "--json");
        Assert.True(p.ExitCode == 0, p.Stderr);
        Assert.DoesNotContain("mean nothing", p.Stderr); // a trained head now
    }

    [Theory]
    [InlineData("--learning-rate", "0", "--learning-rate (learning_rate): must be greater than 0")]
    [InlineData("--learning-rate", "abc", "--learning-rate: 'abc' is not a number")]
    [InlineData("--batch-size", "0", "--batch-size (per_device_train_batch_size): must be at least 1")]
    [InlineData("--lr-scheduler", "exponential", "unknown scheduler 'exponential'")]
    [InlineData("--max-length", "1000", "--max-length (max_length): 1000 is beyond the model's 64 positions")]
    [InlineData("--num-labels", "3", "--num-labels 3")]
    [InlineData("--metric-for-best-model", "bogus", "--metric-for-best-model (metric_for_best_model): unknown metric 'bogus'")]
    public void Bad_arguments_are_refused_before_training(string flag, string value, string message)
    {
        var (model, dataset, output) = TinyJobs.Setup(40);
        string[] common = ["train", "--model", model, "--dataset", dataset, "--output", output];
        var r = FinetuneProcess.Run([.. common, .. flag == "--max-length" ? Array.Empty<string>() : ["--max-length", "32"], flag, value]);
        Assert.Equal(2, r.ExitCode);
        // Refused before anything starts: the one error line, no data or model log, no progress, nothing written.
        var error = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.False(Directory.Exists(output), $"{output} was created");
    }

    [Fact]
    public void Conflicting_options_and_missing_output_are_refused()
    {
        var (model, dataset, output) = TinyJobs.Setup(40);
        var r = FinetuneProcess.Run("train", "--model", model, "--dataset", dataset, "--output", output, "--warmup-steps", "5", "--warmup-ratio", "0.1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("both given", r.Stderr);
        r = FinetuneProcess.Run("train", "--model", model, "--dataset", dataset, "--load-best-model-at-end", "--save-strategy", "no");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--output (output_dir): required", r.Stderr);
    }

    static int[][] Matrix(JsonElement rows) => [.. rows.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray())];
}
