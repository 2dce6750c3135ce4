namespace FineTune.Core.Data;

/// <summary>
/// One <c>dataset_info:</c> entry of a dataset card: the config it describes (null when the card does not say) and
/// the class label names of each feature that has a class_label dtype, index i naming label i.
/// </summary>
internal sealed record DatasetCardInfo(string? ConfigName, IReadOnlyDictionary<string, IReadOnlyList<string>> ClassLabels);
