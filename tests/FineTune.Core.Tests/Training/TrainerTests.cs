using FineTune.Core.Checkpointing;
using FineTune.Core.Training;

namespace FineTune.Core.Tests.Training;

/// <summary>The training loop on a tiny BERT and a learnable synthetic set: it learns, it is deterministic, it resumes exactly.</summary>
[Collection(TorchGlobalState.Name)]
public class TrainerTests
{
    sealed class StopAfter(int steps, CancellationTokenSource cancel) : ITrainerObserver
    {
        public void OnStep(StepInfo step)
        {
            if (step.Step >= steps) cancel.Cancel();
        }
    }

    [Fact]
    public void Loss_falls_and_accuracy_rises()
    {
        var (model, dataset, output) = TinyJobs.Setup();
        var args = TinyJobs.Args(model, dataset, output) with { EvalStrategy = "epoch", NumTrainEpochs = 5 };
        var result = FineTuneJob.Run(args);
        var history = result.Outcome.State.LogHistory;
        var losses = history.Where(h => h["loss"] is not null).Select(h => h["loss"]!.Value).ToList();
        var accuracies = history.Where(h => h["eval_accuracy"] is not null).Select(h => h["eval_accuracy"]!.Value).ToList();
        Assert.True(losses.Count >= 4, $"only {losses.Count} loss entries");
        Assert.True(losses[^1] < losses[0] * 0.6, $"loss went from {losses[0]} to {losses[^1]}");
        Assert.Equal(5, accuracies.Count); // one evaluation per epoch
        Assert.True(accuracies[^1] > accuracies[0] || accuracies[0] >= 0.95, $"accuracy went from {accuracies[0]} to {accuracies[^1]}");
        Assert.True(result.Outcome.FinalEval!.Accuracy >= 0.9, $"final accuracy {result.Outcome.FinalEval.Accuracy}");
        Assert.Equal(80, result.Outcome.GlobalStep); // 128 train examples / 8 = 16 steps x 5 epochs (20% of 160 held out)
    }

    [Fact]
    public void Same_seed_gives_bit_identical_weights()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        var args = TinyJobs.Args(model, dataset, output) with { NumTrainEpochs = 2, SaveStrategy = "no", EvalStrategy = "no" };
        FineTuneJob.Run(args);
        var first = TinyJobs.Weights(output);
        FineTuneJob.Run(args with { OutputDir = output + "-again" });
        Assert.Equal(first, TinyJobs.Weights(output + "-again"));
        FineTuneJob.Run(args with { OutputDir = output + "-other", Seed = 7 });
        Assert.NotEqual(first, TinyJobs.Weights(output + "-other"));
    }

    [Fact]
    public void An_interrupted_run_resumed_ends_with_the_same_weights()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        var args = TinyJobs.Args(model, dataset, output) with { NumTrainEpochs = 3, WarmupSteps = 3, WeightDecay = 0.01, EvalStrategy = "epoch", SaveStrategy = "epoch" };
        FineTuneJob.Run(args);
        var uninterrupted = TinyJobs.Weights(output);

        var resumedOut = output + "-resumed";
        using var cancel = new CancellationTokenSource();
        var first = FineTuneJob.Run(args with { OutputDir = resumedOut }, new StopAfter(13, cancel), cancel: cancel.Token); // mid-epoch 2 (8 steps per epoch)
        Assert.True(first.Outcome.Interrupted);
        Assert.Equal(13, first.Outcome.GlobalStep);
        Assert.True(Directory.Exists(Path.Combine(resumedOut, "checkpoint-13")));
        Assert.False(File.Exists(Path.Combine(resumedOut, "model.safetensors"))); // no final model yet

        var second = FineTuneJob.Run(args with { OutputDir = resumedOut, ResumeFromCheckpoint = "latest" });
        Assert.False(second.Outcome.Interrupted);
        Assert.Equal(24, second.Outcome.GlobalStep);
        var resumed = TinyJobs.Weights(resumedOut);
        Assert.Equal(uninterrupted.Length, resumed.Length);
        var maxDiff = uninterrupted.Zip(resumed, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 1e-6, $"resumed weights differ by {maxDiff}");
        // The log history continues across the interruption.
        Assert.Equal(3, second.Outcome.State.LogHistory.Count(h => h["eval_accuracy"] is not null));
    }

    [Fact]
    public void Max_steps_overrides_epochs_and_accumulation_counts_optimizer_steps()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        var args = TinyJobs.Args(model, dataset, output) with { MaxSteps = 5, GradientAccumulationSteps = 2, SaveStrategy = "no" };
        var result = FineTuneJob.Run(args);
        Assert.Equal(5, result.Outcome.GlobalStep);
        Assert.Equal(80, result.Outcome.SamplesSeen); // 5 steps x 2 micro-batches x 8
        Assert.Equal(5.0 / 4, result.Outcome.Epoch, 3); // 64 train examples / 16 per step = 4 steps per epoch
    }

    /// <summary>
    /// save_total_limit 2 with load_best_model_at_end, evaluated and saved every <paramref name="every"/> steps (8 steps
    /// an epoch: 64 train examples / 8), each save followed by a rotation: exactly the two checkpoints Hugging Face keeps.
    /// Measured here (seed 42, one thread): by loss over one epoch the best is the newest checkpoint; by accuracy over
    /// six epochs it reaches its top (1.0 on the 16 eval examples) before the end, and that checkpoint is kept beside the newest.
    /// </summary>
    [Theory]
    [InlineData("loss", 1, 2, false)]
    [InlineData("accuracy", 6, 4, true)]
    public void Save_total_limit_keeps_the_newest_and_the_best(string metric, int epochs, int every, bool bestIsOlder)
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        var args = TinyJobs.Args(model, dataset, output) with
        {
            NumTrainEpochs = epochs,
            EvalStrategy = "steps",
            EvalSteps = every,
            SaveStrategy = "steps",
            SaveSteps = every,
            SaveTotalLimit = 2,
            LoadBestModelAtEnd = true,
            MetricForBestModel = metric,
        };
        var result = FineTuneJob.Run(args);
        var evals = result.Outcome.State.LogHistory.Where(h => h["eval_loss"] is not null).Select(h => (h.Step, Value: h["eval_" + metric]!.Value)).ToList();
        int last = 8 * epochs;
        Assert.Equal(Enumerable.Range(1, last / every).Select(i => i * every), evals.Select(e => e.Step));
        // The best is the first evaluation with the best value (a later tie is no improvement), as in Hugging Face.
        var bestValue = metric == "loss" ? evals.Min(e => e.Value) : evals.Max(e => e.Value);
        int best = evals.First(e => e.Value == bestValue).Step;
        Assert.Equal(Path.GetFullPath(Path.Combine(output, Checkpoints.Prefix + best)), Path.GetFullPath(result.Outcome.BestCheckpoint!));
        Assert.True(bestIsOlder == (best < last), $"best checkpoint-{best} of {string.Join(", ", evals)}: the case this row is for did not arise");
        // Hugging Face keeps exactly save_total_limit: the best and the newest (the two newest when the best is the newest).
        int[] expected = best == last ? [last - every, last] : [best, last];
        Assert.Equal(expected, Checkpoints.List(output).Select(c => c.Step));
        // The final model is the best checkpoint's weights.
        Assert.Equal(TinyJobs.Weights(result.Outcome.BestCheckpoint!), TinyJobs.Weights(output));
    }

    [Fact]
    public void Early_stopping_ends_the_run_when_the_metric_stops_improving()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        var args = TinyJobs.Args(model, dataset, output) with { NumTrainEpochs = 10, EvalStrategy = "steps", EvalSteps = 2, SaveStrategy = "no", EarlyStoppingPatience = 1 };
        var result = FineTuneJob.Run(args);
        var evals = result.Outcome.State.LogHistory.Where(h => h["eval_accuracy"] is not null).Select(h => h["eval_accuracy"]!.Value).ToList();
        Assert.True(result.Outcome.GlobalStep < 80, $"ran all {result.Outcome.GlobalStep} steps");
        // It stopped at the first evaluation that did not beat the best so far.
        Assert.True(evals[^1] <= evals.SkipLast(1).Max(), string.Join(", ", evals));
        Assert.All(evals.SkipLast(1).Select((a, i) => (a, i)).Skip(1), e => Assert.True(e.a > evals.Take(e.i).Max()));
    }

    [Fact]
    public void A_half_written_checkpoint_is_never_resumed_from()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        var args = TinyJobs.Args(model, dataset, output) with { NumTrainEpochs = 1 };
        FineTuneJob.Run(args);
        // A crash mid-save leaves only a temporary folder (and possibly a folder without trainer_state.json).
        Directory.CreateDirectory(Path.Combine(output, "checkpoint-999.tmp-0123"));
        Directory.CreateDirectory(Path.Combine(output, "checkpoint-500"));
        File.WriteAllText(Path.Combine(output, "checkpoint-500", "model.safetensors"), "partial");
        Assert.Equal(8, Checkpoints.List(output)[^1].Step);
        Assert.EndsWith("checkpoint-8", Checkpoints.Resolve("latest", output));
    }

    [Fact]
    public void Output_folder_has_the_hugging_face_files_and_report()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        FineTuneJob.Run(TinyJobs.Args(model, dataset, output) with { NumTrainEpochs = 1 });
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "trainer_state.json", "train_results.json", "eval_results.json", "all_results.json", "report.md", "loss.png", "confusion_matrix.png" })
            Assert.True(File.Exists(Path.Combine(output, f)), $"{f} missing");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, "config.json")))!;
        Assert.Equal("0", config["id2label"]!["0"]!.ToString());
        Assert.Equal("BertForSequenceClassification", config["architectures"]![0]!.ToString());
    }
}
