using FineTune.Core.Data;

namespace FineTune.Core.Arguments;

public static partial class ArgumentTable
{
    /// <summary>Every job option, in the order binding applies them (precision before its bf16/fp16 switches).</summary>
    public static readonly IReadOnlyList<Entry> Entries =
    [
        S("model", "--model", "Hugging Face model folder, hub id (org/name), or 'default' (all-MiniLM-L6-v2)", (a, v) => a with { Model = v }, a => a.Model),
        S("dataset", "--dataset", ".csv, .jsonl, .json, .parquet, a folder with train/test files, hub dataset id, or 'default' (Yelp sentences)", (a, v) => a with { Dataset = v }, a => a.Dataset),
        O("eval_dataset", "--eval-dataset", "evaluation file, folder or hub dataset id (else the dataset's test split, else --eval-split of the data)", (a, v) => a with { EvalDataset = v }, a => a.EvalDataset),
        O("model_revision", "--model-revision", "branch, tag or commit of a hub model (default main)", (a, v) => a with { ModelRevision = v }, a => a.ModelRevision),
        O("dataset_revision", "--dataset-revision", "branch, tag or commit of a hub dataset (default main)", (a, v) => a with { DatasetRevision = v }, a => a.DatasetRevision),
        O("eval_dataset_revision", "--eval-dataset-revision", "branch, tag or commit of a hub eval dataset (default main)", (a, v) => a with { EvalDatasetRevision = v }, a => a.EvalDatasetRevision),
        O("dataset_config", "--dataset-config", "the dataset's config (default: its README's default config, or its only one)", (a, v) => a with { DatasetConfig = v }, a => a.DatasetConfig),
        S("text_column", "--text-column", "column holding the text (default text)", (a, v) => a with { TextColumn = v }, a => a.TextColumn),
        O("text_pair_column", "--text-pair-column", "column holding a second text segment", (a, v) => a with { TextPairColumn = v }, a => a.TextPairColumn),
        S("label_column", "--label-column", "column holding the label (default label)", (a, v) => a with { LabelColumn = v }, a => a.LabelColumn),
        N("num_labels", "--num-labels", "number of labels (inferred; checked when given)", (a, v) => a with { NumLabels = v }, a => a.NumLabels),
        N("train_subset", "--train-subset", "train on a seeded random subset of N examples", (a, v) => a with { TrainSubset = v }, a => a.TrainSubset),
        N("eval_subset", "--eval-subset", "evaluate on a seeded random subset of N examples", (a, v) => a with { EvalSubset = v }, a => a.EvalSubset),
        D("eval_split", "--eval-split", "fraction held out for evaluation when there is no eval file (default 0.2)", (a, v) => a with { EvalSplit = v }, a => a.EvalSplit),
        I("max_length", "--max-length", "truncate to N tokens (default 128)", (a, v) => a with { MaxLength = v }, a => a.MaxLength),
        new("padding", "--padding", "dynamic (pad each batch to its longest row, default) or max_length", false, (a, v, w) => a with
        {
            Padding = v switch
            {
                "dynamic" or "longest" => Padding.Dynamic,
                "max_length" => Padding.MaxLength,
                _ => throw new InvalidInputException($"{w}: unknown padding '{v}' (choose dynamic or max_length)"),
            },
        }, a => a.Padding == Padding.MaxLength ? "max_length" : "dynamic"),
        B("group_by_length", "--group-by-length", "batch examples of similar length together", (a, v) => a with { GroupByLength = v }, a => a.GroupByLength),
        D("num_train_epochs", "--epochs", "training epochs (default 3)", (a, v) => a with { NumTrainEpochs = v }, a => a.NumTrainEpochs),
        I("max_steps", "--max-steps", "total optimizer steps; overrides epochs (default -1)", (a, v) => a with { MaxSteps = v }, a => a.MaxSteps),
        D("learning_rate", "--learning-rate", "peak learning rate (default 5e-5)", (a, v) => a with { LearningRate = v }, a => a.LearningRate),
        I("per_device_train_batch_size", "--batch-size", "training batch size per worker (default 8)", (a, v) => a with { PerDeviceTrainBatchSize = v }, a => a.PerDeviceTrainBatchSize),
        I("per_device_eval_batch_size", "--eval-batch-size", "evaluation batch size per worker (default 8)", (a, v) => a with { PerDeviceEvalBatchSize = v }, a => a.PerDeviceEvalBatchSize),
        I("gradient_accumulation_steps", "--gradient-accumulation-steps", "batches per optimizer step (default 1)", (a, v) => a with { GradientAccumulationSteps = v }, a => a.GradientAccumulationSteps),
        D("weight_decay", "--weight-decay", "AdamW decoupled weight decay, not on biases and LayerNorm (default 0)", (a, v) => a with { WeightDecay = v }, a => a.WeightDecay),
        D("adam_beta1", "--adam-beta1", "default 0.9", (a, v) => a with { AdamBeta1 = v }, a => a.AdamBeta1),
        D("adam_beta2", "--adam-beta2", "default 0.999", (a, v) => a with { AdamBeta2 = v }, a => a.AdamBeta2),
        D("adam_epsilon", "--adam-epsilon", "default 1e-8", (a, v) => a with { AdamEpsilon = v }, a => a.AdamEpsilon),
        S("lr_scheduler_type", "--lr-scheduler", "linear, cosine, constant or constant_with_warmup (default linear)", (a, v) => a with { LrSchedulerType = v }, a => a.LrSchedulerType),
        I("warmup_steps", "--warmup-steps", "linear warmup steps (default 0)", (a, v) => a with { WarmupSteps = v }, a => a.WarmupSteps),
        D("warmup_ratio", "--warmup-ratio", "warmup as a fraction of the total steps (default 0)", (a, v) => a with { WarmupRatio = v }, a => a.WarmupRatio),
        D("max_grad_norm", "--max-grad-norm", "clip the global gradient norm (default 1.0; 0 = no clipping)", (a, v) => a with { MaxGradNorm = v }, a => a.MaxGradNorm),
        new("seed", "--seed", "random seed (default 42)", false, (a, v, w) => a with { Seed = ParseLong(v, w) }, a => Text(a.Seed)) { Kind = "integer" },
        S("eval_strategy", "--eval-strategy", "no, steps or epoch (default epoch)", (a, v) => a with { EvalStrategy = v }, a => a.EvalStrategy),
        N("eval_steps", "--eval-steps", "evaluate every N steps with --eval-strategy steps (default: logging steps)", (a, v) => a with { EvalSteps = v }, a => a.EvalSteps),
        S("save_strategy", "--save-strategy", "no, steps or epoch (default epoch)", (a, v) => a with { SaveStrategy = v }, a => a.SaveStrategy),
        I("save_steps", "--save-steps", "save every N steps with --save-strategy steps (default 500)", (a, v) => a with { SaveSteps = v }, a => a.SaveSteps),
        N("save_total_limit", "--save-total-limit", "keep at most N checkpoints (the best is always kept)", (a, v) => a with { SaveTotalLimit = v }, a => a.SaveTotalLimit),
        B("load_best_model_at_end", "--load-best-model-at-end", "finish with the best checkpoint's weights", (a, v) => a with { LoadBestModelAtEnd = v }, a => a.LoadBestModelAtEnd),
        S("metric_for_best_model", "--metric-for-best-model", "accuracy, f1_macro, f1 or loss, eval_ prefix optional (default accuracy)", (a, v) => a with { MetricForBestModel = v }, a => a.MetricForBestModel),
        N("early_stopping_patience", "--early-stopping-patience", "stop after N evaluations without improvement", (a, v) => a with { EarlyStoppingPatience = v }, a => a.EarlyStoppingPatience),
        I("logging_steps", "--logging-steps", "log loss and learning rate every N steps (default 10)", (a, v) => a with { LoggingSteps = v }, a => a.LoggingSteps),
        O("resume_from_checkpoint", "--resume-from-checkpoint", "a checkpoint folder, or 'latest' in the output folder", (a, v) => a with { ResumeFromCheckpoint = v }, a => a.ResumeFromCheckpoint),
        O("output_dir", "--output", "output folder: checkpoints, final model, report", (a, v) => a with { OutputDir = v }, a => a.OutputDir),
        B("push_to_hub", "--push-to-hub", "publish the model to the Hugging Face Hub (with HF_TOKEN; on a cluster, the coordinator's)", (a, v) => a with { PushToHub = v }, a => a.PushToHub),
        O("hub_model_id", "--hub-model-id", "the repo to push to, ORG/NAME or NAME in the token's namespace (default for train: the output folder's name; required by submit)", (a, v) => a with { HubModelId = v }, a => a.HubModelId),
        S("hub_strategy", "--hub-strategy", "end (the final model) or every_save (each checkpoint as saved, then the final model; default)", (a, v) => a with { HubStrategy = v }, a => a.HubStrategy),
        B("hub_private_repo", "--hub-private-repo", "create the repo private", (a, v) => a with { HubPrivateRepo = v }, a => a.HubPrivateRepo),
        O("hub_revision", "--hub-revision", "the branch to push to (default main; created when missing)", (a, v) => a with { HubRevision = v }, a => a.HubRevision),
        N("threads", "--threads", "CPU threads for TorchSharp (default: all cores)", (a, v) => a with { Threads = v }, a => a.Threads),
        N("workers", "--workers", "world size for a cluster job", (a, v) => a with { Workers = v }, a => a.Workers),
        N("min_workers", "--min-workers", "continue with as few as M ranks after losing workers", (a, v) => a with { MinWorkers = v }, a => a.MinWorkers),
        S("device", "--device", "auto, cpu, cuda or cuda:N (default auto: the worker's device; for train, a GPU when there is one)", (a, v) => a with { Device = v }, a => a.Device),
        S("precision", "--precision", "fp32 or bf16 (bf16 mixed precision: fp32 master weights; default fp32)", (a, v) => a with { Precision = v }, a => a.Precision),
        // Hugging Face's switches for the same choice, so its job files read as they are.
        B("bf16", "--bf16", "the same as --precision bf16", (a, v) => a with { Precision = v ? "bf16" : a.Precision == "bf16" ? "fp32" : a.Precision }, a => a.Precision == "bf16"),
        B("fp16", "--fp16", "the same as --precision fp16 (refused: use bf16)", (a, v) => a with { Precision = v ? "fp16" : a.Precision == "fp16" ? "fp32" : a.Precision }, a => a.Precision == "fp16"),
        S("collective", "--collective", "how ranks sum gradients: auto, ring or nccl (default auto: NCCL when every rank is on CUDA and NCCL loads, else the TCP ring)", (a, v) => a with { Collective = v }, a => a.Collective),
    ];
}
