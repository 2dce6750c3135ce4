namespace FineTune.Core.Data;

/// <summary>
/// The train and eval examples, with label ids indexing <paramref name="LabelNames"/> (the model's id2label).
/// The sources say where each split came from, for logs; <paramref name="SkippedEmpty"/> counts rows dropped
/// for an empty text, in both splits together.
/// </summary>
public sealed record LoadedDataset(
    IReadOnlyList<LabeledExample> Train,
    IReadOnlyList<LabeledExample> Eval,
    IReadOnlyList<string> LabelNames,
    string TrainSource,
    string EvalSource,
    int SkippedEmpty);
