namespace FineTune.Core.Data;

/// <summary>
/// One entry of a dataset card's <c>configs:</c> list. <paramref name="DataFiles"/> maps each split to its glob
/// patterns (relative to <paramref name="DataDir"/>, or to the dataset's root), in the card's order; null when the
/// config gives none, and the split conventions apply under its data_dir.
/// </summary>
internal sealed record DatasetCardConfig(
    string Name,
    bool Default,
    string? DataDir,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? DataFiles);
