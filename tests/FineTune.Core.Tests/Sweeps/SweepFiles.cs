namespace FineTune.Core.Tests.Sweeps;

/// <summary>Sweep and job spec files written at test time into a fresh temp folder.</summary>
sealed class SweepFiles
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("finetune-sweep-").FullName;

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> in the folder and returns its path.</summary>
    public string Write(string name, string text)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The base job most sweeps here use: a few TrainingArguments keys, one through an older alias.</summary>
    public const string JobYaml = "dataset: reviews.csv\nepochs: 3\neval_strategy: epoch\nlearning_rate: 5e-5\n";

    /// <summary>The example sweep, with <see cref="JobYaml"/> as its base file.</summary>
    public const string SweepYaml = """
        base: job.yaml
        metric: eval_accuracy
        trials: 16
        workers_per_trial: 1
        sampler: random
        early_stopping: {type: asha, grace_period: 1, max_t: 3, reduction_factor: 3}
        validation_split: 0.1
        seed: 42
        space:
          learning_rate: {loguniform: [1.0e-5, 3.0e-4]}
          per_device_train_batch_size: {choice: [8, 16, 32]}
          warmup_ratio: {uniform: [0.0, 0.2]}
        """;
}
