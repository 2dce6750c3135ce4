namespace FineTune.Core.Data;

/// <summary>Which data to train and evaluate on: the <c>--dataset</c> family of options, with their defaults.</summary>
public sealed record DatasetOptions
{
    /// <summary>A .csv, .jsonl, .json or .parquet file, a folder with train/test files, or "default".</summary>
    public string Dataset { get; init; } = "default";
    /// <summary>Which of a dataset folder's README.md configs to load (--dataset-config); null picks the default one.</summary>
    public string? Config { get; init; }
    public string? EvalDataset { get; init; }
    public string TextColumn { get; init; } = "text";
    public string? TextPairColumn { get; init; }
    public string LabelColumn { get; init; } = "label";
    /// <summary>Checked against the number of distinct labels found, when given.</summary>
    public int? NumLabels { get; init; }
    public int? TrainSubset { get; init; }
    public int? EvalSubset { get; init; }
    /// <summary>The share held out for evaluation when there is no eval file (0 holds out nothing).</summary>
    public double EvalSplit { get; init; } = 0.2;
    public long Seed { get; init; } = 42;
}
