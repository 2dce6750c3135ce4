namespace FineTune.Core.Data;

/// <summary>Which files each split of a dataset uses, and its class label names, as <c>datasets</c> decides them.</summary>
/// <param name="Config">the config chosen from the card's <c>configs:</c>, or null when it has none</param>
/// <param name="Files">each split's files, sorted ordinally, all of one type</param>
/// <param name="LabelNames">the label column's class_label names from the card (index i names label i), or null</param>
public sealed record DatasetSplits(string? Config, IReadOnlyDictionary<string, IReadOnlyList<string>> Files, IReadOnlyList<string>? LabelNames)
{
    /// <summary>The train split's files, or none.</summary>
    public IReadOnlyList<string> Train => Split("train");

    /// <summary>The split to evaluate on: test, else validation, else none.</summary>
    public IReadOnlyList<string> Eval => Split("test") is { Count: > 0 } test ? test : Split("validation");

    /// <summary>One split's files (train, validation, test), or none.</summary>
    public IReadOnlyList<string> Split(string name) => Files.TryGetValue(name, out var files) ? files : [];
}
