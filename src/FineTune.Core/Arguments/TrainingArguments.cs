using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Hub;
using FineTune.Core.Training;

namespace FineTune.Core.Arguments;

/// <summary>
/// Hugging Face's TrainingArguments (same names and defaults where one exists) plus the job's model and data.
/// Built from a spec file and command-line flags by <see cref="ArgumentTable"/>, checked by <see cref="Validate"/>.
/// </summary>
public sealed record TrainingArguments
{
    // model and data
    public string Model { get; init; } = "default";
    public string Dataset { get; init; } = "default";
    public string? EvalDataset { get; init; }
    // a hub id's branch, tag or commit (null: main), and a dataset's config (null: its default or only one)
    public string? ModelRevision { get; init; }
    public string? DatasetRevision { get; init; }
    public string? EvalDatasetRevision { get; init; }
    public string? DatasetConfig { get; init; }
    public string TextColumn { get; init; } = "text";
    public string? TextPairColumn { get; init; }
    public string LabelColumn { get; init; } = "label";
    public int? NumLabels { get; init; }
    public int? TrainSubset { get; init; }
    public int? EvalSubset { get; init; }
    public double EvalSplit { get; init; } = 0.2;
    public int MaxLength { get; init; } = 128;
    public Padding Padding { get; init; } = Padding.Dynamic;
    public bool GroupByLength { get; init; }

    // optimisation
    public double NumTrainEpochs { get; init; } = 3;
    public int MaxSteps { get; init; } = -1;
    public double LearningRate { get; init; } = 5e-5;
    public int PerDeviceTrainBatchSize { get; init; } = 8;
    public int PerDeviceEvalBatchSize { get; init; } = 8;
    public int GradientAccumulationSteps { get; init; } = 1;
    public double WeightDecay { get; init; }
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    public string LrSchedulerType { get; init; } = "linear";
    public int WarmupSteps { get; init; }
    public double WarmupRatio { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public long Seed { get; init; } = 42;

    // evaluation, saving, logging
    public string EvalStrategy { get; init; } = "epoch";
    public int? EvalSteps { get; init; }
    public string SaveStrategy { get; init; } = "epoch";
    public int SaveSteps { get; init; } = 500;
    public int? SaveTotalLimit { get; init; }
    public bool LoadBestModelAtEnd { get; init; }
    public string MetricForBestModel { get; init; } = "accuracy";
    public int? EarlyStoppingPatience { get; init; }
    public int LoggingSteps { get; init; } = 10;
    public string? ResumeFromCheckpoint { get; init; }
    public string? OutputDir { get; init; }

    // publishing (Trainer's push_to_hub; the token is never an argument: HF_TOKEN, or train's --hub-token)
    public bool PushToHub { get; init; }
    public string? HubModelId { get; init; }
    public string HubStrategy { get; init; } = "every_save";
    public bool HubPrivateRepo { get; init; }
    public string? HubRevision { get; init; }

    // resources
    public int? Threads { get; init; }
    public int? Workers { get; init; }
    public int? MinWorkers { get; init; }
    public string Device { get; init; } = "auto";
    public string Precision { get; init; } = "fp32";
    public string Collective { get; init; } = "auto";

    public static readonly string[] Schedulers = ["linear", "cosine", "constant", "constant_with_warmup"];
    public static readonly string[] Strategies = ["no", "steps", "epoch"];

    /// <summary>Hugging Face: eval_steps defaults to logging_steps.</summary>
    public int EffectiveEvalSteps => EvalSteps ?? LoggingSteps;

    /// <summary>Lower is better only for losses (Hugging Face's greater_is_better default).</summary>
    public bool GreaterIsBetter => !MetricForBestModel.EndsWith("loss", StringComparison.Ordinal);

    /// <summary>metric_for_best_model's names, each with Hugging Face's optional eval_ prefix, and what each reads from an
    /// evaluation: the one mapping, used by <see cref="Problems"/> before anything starts and by the Trainer at each evaluation.</summary>
    static readonly Dictionary<string, Func<EvalResult, double>> BestModelMetrics = new(StringComparer.Ordinal)
    {
        ["accuracy"] = r => r.Accuracy,
        ["f1_macro"] = r => r.F1Macro,
        ["f1"] = r => r.F1Macro,
        ["loss"] = r => r.Loss,
    };

    static string WithoutEvalPrefix(string metric) => metric.StartsWith("eval_", StringComparison.Ordinal) ? metric[5..] : metric;

    /// <summary>The evaluation's value of metric_for_best_model.</summary>
    public double BestModelMetric(EvalResult result) =>
        BestModelMetrics.TryGetValue(WithoutEvalPrefix(MetricForBestModel), out var read) ? read(result)
        : throw new InvalidInputException($"{ArgumentTable.Describe("metric_for_best_model")}: {UnknownMetric}");

    string UnknownMetric => MetricProblem(MetricForBestModel) ?? "";

    /// <summary>Why <paramref name="metric"/> is not one of metric_for_best_model's names; null when it is one (a sweep's
    /// metric is checked with this too).</summary>
    public static string? MetricProblem(string metric) => BestModelMetrics.ContainsKey(WithoutEvalPrefix(metric)) ? null
        : $"unknown metric '{metric}' (choose {string.Join(", ", BestModelMetrics.Keys)}, optionally with the eval_ prefix)";

    public DatasetOptions ToDatasetOptions() => new()
    {
        Dataset = Dataset,
        EvalDataset = EvalDataset,
        Config = DatasetConfig,
        TextColumn = TextColumn,
        TextPairColumn = TextPairColumn,
        LabelColumn = LabelColumn,
        NumLabels = NumLabels,
        TrainSubset = TrainSubset,
        EvalSubset = EvalSubset,
        EvalSplit = EvalSplit,
        Seed = Seed,
    };

    /// <summary>Every problem at once, each naming the option (flag and spec key) and the value; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        void Check(bool ok, string key, string problem)
        {
            if (!ok) p.Add($"{ArgumentTable.Describe(key)}: {problem}");
        }
        Check(double.IsFinite(LearningRate) && LearningRate > 0, "learning_rate", $"must be greater than 0, got {LearningRate}");
        Check(double.IsFinite(NumTrainEpochs) && NumTrainEpochs >= 0, "num_train_epochs", $"must be 0 or more, got {NumTrainEpochs}");
        Check(MaxSteps == -1 || MaxSteps > 0, "max_steps", $"must be -1 (use epochs) or greater than 0, got {MaxSteps}");
        Check(MaxSteps > 0 || NumTrainEpochs > 0, "num_train_epochs", "is 0 and max_steps is not set: nothing to train");
        Check(PerDeviceTrainBatchSize >= 1, "per_device_train_batch_size", $"must be at least 1, got {PerDeviceTrainBatchSize}");
        Check(PerDeviceEvalBatchSize >= 1, "per_device_eval_batch_size", $"must be at least 1, got {PerDeviceEvalBatchSize}");
        Check(GradientAccumulationSteps >= 1, "gradient_accumulation_steps", $"must be at least 1, got {GradientAccumulationSteps}");
        Check(WeightDecay >= 0 && double.IsFinite(WeightDecay), "weight_decay", $"must be 0 or more, got {WeightDecay}");
        Check(AdamBeta1 is >= 0 and < 1, "adam_beta1", $"must be in [0, 1), got {AdamBeta1}");
        Check(AdamBeta2 is >= 0 and < 1, "adam_beta2", $"must be in [0, 1), got {AdamBeta2}");
        Check(AdamEpsilon > 0 && double.IsFinite(AdamEpsilon), "adam_epsilon", $"must be greater than 0, got {AdamEpsilon}");
        Check(Schedulers.Contains(LrSchedulerType), "lr_scheduler_type", $"unknown scheduler '{LrSchedulerType}' (choose {string.Join(", ", Schedulers)})");
        Check(WarmupSteps >= 0, "warmup_steps", $"must be 0 or more, got {WarmupSteps}");
        Check(WarmupRatio is >= 0 and <= 1, "warmup_ratio", $"must be in [0, 1], got {WarmupRatio}");
        Check(!(WarmupSteps > 0 && WarmupRatio > 0), "warmup_steps", "and --warmup-ratio (warmup_ratio) both given: choose one");
        Check(MaxGradNorm >= 0 && double.IsFinite(MaxGradNorm), "max_grad_norm", $"must be 0 (no clipping) or more, got {MaxGradNorm}");
        Check(MaxLength >= 2, "max_length", $"must be at least 2 ([CLS] and [SEP]), got {MaxLength}");
        Check(EvalSplit is > 0 and < 1, "eval_split", $"must be between 0 and 1, got {EvalSplit}");
        foreach (var (key, revision) in new[] { ("model_revision", ModelRevision), ("dataset_revision", DatasetRevision), ("eval_dataset_revision", EvalDatasetRevision) })
            Check(revision is null || Hub.HubRevision.Problem(revision) is null, key, $"'{revision}' is not a branch, tag or commit ({(revision is null ? "" : Hub.HubRevision.Problem(revision))})");
        Check(EvalDatasetRevision is null || EvalDataset is not null, "eval_dataset_revision", "needs --eval-dataset (the eval split of --dataset follows --dataset-revision)");
        Check(DatasetConfig is null || DatasetConfig.Length > 0, "dataset_config", "is empty");
        Check(HubStrategy is "end" or "every_save", "hub_strategy", HubStrategy is "checkpoint" or "all_checkpoints"
            ? $"'{HubStrategy}' is not supported yet (choose end or every_save)" : $"unknown strategy '{HubStrategy}' (choose end or every_save)");
        Check(HubModelId is null || HubRepo.Problem(HubRepo.Model, HubModelId) is null, "hub_model_id", $"'{HubModelId}' is not a hub repo id ({(HubModelId is null ? "" : HubRepo.Problem(HubRepo.Model, HubModelId))})");
        Check(HubRevision is null || Hub.HubRevision.Problem(HubRevision) is null, "hub_revision", $"'{HubRevision}' is not a branch name ({(HubRevision is null ? "" : Hub.HubRevision.Problem(HubRevision))})");
        Check(TrainSubset is null or > 0, "train_subset", $"must be at least 1, got {TrainSubset}");
        Check(EvalSubset is null or > 0, "eval_subset", $"must be at least 1, got {EvalSubset}");
        Check(NumLabels is null or >= 2, "num_labels", $"must be at least 2, got {NumLabels}");
        Check(Strategies.Contains(EvalStrategy), "eval_strategy", $"unknown strategy '{EvalStrategy}' (choose {string.Join(", ", Strategies)})");
        Check(Strategies.Contains(SaveStrategy), "save_strategy", $"unknown strategy '{SaveStrategy}' (choose {string.Join(", ", Strategies)})");
        Check(EvalSteps is null or > 0, "eval_steps", $"must be at least 1, got {EvalSteps}");
        Check(SaveSteps > 0, "save_steps", $"must be at least 1, got {SaveSteps}");
        Check(SaveTotalLimit is null or > 0, "save_total_limit", $"must be at least 1, got {SaveTotalLimit}");
        Check(LoggingSteps > 0, "logging_steps", $"must be at least 1, got {LoggingSteps}");
        Check(BestModelMetrics.ContainsKey(WithoutEvalPrefix(MetricForBestModel)), "metric_for_best_model", UnknownMetric);
        Check(EarlyStoppingPatience is null or > 0, "early_stopping_patience", $"must be at least 1, got {EarlyStoppingPatience}");
        Check(EarlyStoppingPatience is null || EvalStrategy != "no", "early_stopping_patience", "needs evaluations: set --eval-strategy steps or epoch");
        Check(Threads is null or > 0, "threads", $"must be at least 1, got {Threads}");
        Check(Workers is null or > 0, "workers", $"must be at least 1, got {Workers}");
        Check(MinWorkers is null or > 0, "min_workers", $"must be at least 1, got {MinWorkers}");
        Check(MinWorkers is null || Workers is null || MinWorkers <= Workers, "min_workers", $"({MinWorkers}) is more than --workers ({Workers})");
        Check(DeviceNames.IsJobDevice(Device), "device", $"unknown device '{Device}' (choose auto, cpu, cuda or cuda:N)");
        Check(CollectiveFactory.Problem(Collective, Device) is null, "collective", CollectiveFactory.Problem(Collective, Device) ?? "");
        Check(Precision is "fp32" or "bf16" or "fp16", "precision", $"unknown precision '{Precision}' (choose fp32 or bf16)");
        Check(Precision != "fp16", "precision", "fp16 needs loss scaling, which FineTune does not do: use bf16 (fp32's range, no scaling; CPUs and GPUs since Ampere)");
        if (LoadBestModelAtEnd)
        {
            // Hugging Face refuses this too: the best model must be a saved checkpoint.
            Check(EvalStrategy != "no", "load_best_model_at_end", "needs evaluations (--eval-strategy steps or epoch)");
            Check(SaveStrategy == EvalStrategy, "load_best_model_at_end", $"needs the save and eval strategies to match, got --save-strategy {SaveStrategy} and --eval-strategy {EvalStrategy}");
            Check(SaveStrategy != "steps" || SaveSteps % EffectiveEvalSteps == 0, "load_best_model_at_end", $"needs --save-steps ({SaveSteps}) to be a multiple of --eval-steps ({EffectiveEvalSteps})");
        }
        return p;
    }

    /// <summary>Throws one <see cref="InvalidInputException"/> listing every problem.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new InvalidInputException(string.Join("; ", problems));
    }
}
