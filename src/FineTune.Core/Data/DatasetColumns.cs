namespace FineTune.Core.Data;

/// <summary>The column names to read, and the option that names each (for error messages).</summary>
internal sealed record DatasetColumns(string Text, string? Pair, string Label)
{
    public static DatasetColumns From(DatasetOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.TextColumn)) throw new InvalidInputException("--text-column: must name a column");
        if (string.IsNullOrWhiteSpace(options.LabelColumn)) throw new InvalidInputException("--label-column: must name a column");
        if (options.TextPairColumn is { } pair && string.IsNullOrWhiteSpace(pair))
            throw new InvalidInputException("--text-pair-column: must name a column (or be left out)");
        return new(options.TextColumn, options.TextPairColumn, options.LabelColumn);
    }

    public string Flag(string column) =>
        column == Text ? "--text-column" : column == Label ? "--label-column" : "--text-pair-column";

    /// <summary>The error for a column the file lacks: names it, lists what is there, and the option to use.</summary>
    public InvalidInputException Missing(string where, string column, IEnumerable<string> present) =>
        new($"{where}: no column '{column}' (columns: {string.Join(", ", present.Select(c => $"'{c}'"))}); use {Flag(column)} to choose another");
}
