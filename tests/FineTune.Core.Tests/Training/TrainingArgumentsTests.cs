using FineTune.Core.Arguments;
using FineTune.Core.Tests.Modeling;
using FineTune.Core.Training;

namespace FineTune.Core.Tests.Training;

public class TrainingArgumentsTests
{
    [Fact]
    public void Defaults_are_hugging_face_defaults()
    {
        var a = new TrainingArguments();
        Assert.Equal(3, a.NumTrainEpochs);
        Assert.Equal(5e-5, a.LearningRate);
        Assert.Equal(8, a.PerDeviceTrainBatchSize);
        Assert.Equal(8, a.PerDeviceEvalBatchSize);
        Assert.Equal("linear", a.LrSchedulerType);
        Assert.Equal(1.0, a.MaxGradNorm);
        Assert.Equal(0.999, a.AdamBeta2);
        Assert.Equal(1e-8, a.AdamEpsilon);
        Assert.Equal(-1, a.MaxSteps);
        Assert.Equal(42, a.Seed);
        Assert.Empty(a.Problems());
    }

    [Theory]
    [InlineData("learning_rate", "0", "--learning-rate (learning_rate): must be greater than 0, got 0")]
    [InlineData("per_device_train_batch_size", "0", "--batch-size (per_device_train_batch_size): must be at least 1, got 0")]
    [InlineData("num_train_epochs", "-1", "--epochs (num_train_epochs): must be 0 or more, got -1")]
    [InlineData("lr_scheduler_type", "exponential", "unknown scheduler 'exponential'")]
    [InlineData("eval_strategy", "sometimes", "--eval-strategy (eval_strategy): unknown strategy 'sometimes'")]
    [InlineData("save_strategy", "always", "--save-strategy (save_strategy): unknown strategy 'always'")]
    [InlineData("metric_for_best_model", "bogus", "--metric-for-best-model (metric_for_best_model): unknown metric 'bogus' (choose accuracy, f1_macro, f1, loss, optionally with the eval_ prefix)")]
    [InlineData("metric_for_best_model", "eval_bogus", "--metric-for-best-model (metric_for_best_model): unknown metric 'eval_bogus'")]
    public void Bad_values_name_the_option(string key, string value, string message)
    {
        var a = new TrainingArguments();
        a = ArgumentTable.Apply(a, key, value, key);
        var e = Assert.Throws<InvalidInputException>(a.Validate);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("accuracy", 0.75, true)]
    [InlineData("eval_accuracy", 0.75, true)]
    [InlineData("f1_macro", 0.5, true)]
    [InlineData("eval_f1", 0.5, true)]
    [InlineData("loss", 0.25, false)]
    [InlineData("eval_loss", 0.25, false)]
    public void Metric_for_best_model_reads_its_value_from_an_evaluation(string metric, double expected, bool greaterIsBetter)
    {
        var a = new TrainingArguments();
        a = ArgumentTable.Apply(a, "metric_for_best_model", metric, "--metric-for-best-model");
        Assert.Empty(a.Problems());
        var result = new EvalResult(Accuracy: 0.75, F1Macro: 0.5, Loss: 0.25, [], [], ["0", "1"], Samples: 4);
        Assert.Equal(expected, a.BestModelMetric(result));
        Assert.Equal(greaterIsBetter, a.GreaterIsBetter);
    }

    [Fact]
    public void Not_a_number_is_refused_when_parsed()
    {
        var e = Assert.Throws<InvalidInputException>(() => ArgumentTable.Apply(new TrainingArguments(), "learning_rate", "fast", "--learning-rate"));
        Assert.Equal("--learning-rate: 'fast' is not a number", e.Message);
    }

    [Fact]
    public void Conflicting_options_are_refused()
    {
        var warmup = new TrainingArguments { WarmupSteps = 10, WarmupRatio = 0.1 };
        Assert.Contains(warmup.Problems(), p => p.Contains("--warmup-ratio (warmup_ratio) both given"));
        var best = new TrainingArguments { LoadBestModelAtEnd = true, EvalStrategy = "epoch", SaveStrategy = "steps" };
        Assert.Contains(best.Problems(), p => p.Contains("needs the save and eval strategies to match"));
    }

    [Fact]
    public void Spec_files_use_hugging_face_names_and_flags_override_them()
    {
        var dir = TinyModels.TempDir();
        var json = Path.Combine(dir, "job.json");
        File.WriteAllText(json, """{"num_train_epochs": 5, "learning_rate": 3e-5, "per_device_train_batch_size": 16, "lr_scheduler_type": "cosine", "warmup_ratio": 0.1, "load_best_model_at_end": true, "evaluation_strategy": "epoch", "text_column": "review"}""");
        var a = new TrainingArguments();
        a = ArgumentTable.ApplyFile(a, json);
        Assert.Equal(5, a.NumTrainEpochs);
        Assert.Equal(3e-5, a.LearningRate);
        Assert.Equal(16, a.PerDeviceTrainBatchSize);
        Assert.Equal("cosine", a.LrSchedulerType);
        Assert.True(a.LoadBestModelAtEnd);
        Assert.Equal("review", a.TextColumn);

        var yaml = Path.Combine(dir, "job.yaml");
        File.WriteAllText(yaml, "num_train_epochs: 2\nweight_decay: 0.01\nmax_length: 64\ngroup_by_length: true\n");
        var b = new TrainingArguments();
        b = ArgumentTable.ApplyFile(b, yaml);
        b = ArgumentTable.Apply(b, "num_train_epochs", "4", "--epochs"); // a flag given on the command line wins
        Assert.Equal(4, b.NumTrainEpochs);
        Assert.Equal(0.01, b.WeightDecay);
        Assert.Equal(64, b.MaxLength);
        Assert.True(b.GroupByLength);
    }

    [Fact]
    public void Malformed_spec_files_are_refused_clearly()
    {
        var dir = TinyModels.TempDir();
        var bad = Path.Combine(dir, "job.json");
        File.WriteAllText(bad, "{\"learning_rate\": 1e-5,\n \"epochs\": }");
        var e = Assert.Throws<InvalidInputException>(() => ArgumentTable.ApplyFile(new TrainingArguments(), bad));
        Assert.Contains("job.json: invalid JSON at line 2", e.Message);

        var unknown = Path.Combine(dir, "job.yaml");
        File.WriteAllText(unknown, "learnig_rate: 1e-5\n");
        e = Assert.Throws<InvalidInputException>(() => ArgumentTable.ApplyFile(new TrainingArguments(), unknown));
        Assert.Contains("unknown key 'learnig_rate'", e.Message);
    }
}
