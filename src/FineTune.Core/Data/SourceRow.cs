namespace FineTune.Core.Data;

/// <summary>
/// One row as read from a file, before label ids: Line is the file's line (CSV, JSON) or 1-based row (Parquet).
/// Any value may be null (a null cell); the loader drops empty texts and rejects missing labels.
/// </summary>
internal readonly record struct SourceRow(int Line, string? Text, string? Pair, string? Label);
