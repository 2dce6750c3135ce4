using System.Text.Json;
using System.Text.Json.Nodes;

namespace FineTune.Core.Data;

/// <summary>
/// Reads one data file of any supported format (chosen by extension) into rows of text, pair and label.
/// Checks that the named columns exist; the loader checks the values.
/// </summary>
internal static class DataFile
{
    public static readonly string[] Extensions = [".csv", ".jsonl", ".json", ".parquet"];

    public static bool IsSupported(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>How errors name a row: "file:line" for text formats, "file: row N" for Parquet.</summary>
    public static string Where(string path, int line) =>
        IsParquet(path) ? $"{path}: row {line}" : $"{path}:{line}";

    static bool IsParquet(string path) => Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase);

    public static IEnumerable<SourceRow> Read(string path, DatasetColumns columns) =>
        Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => FromCsv(path, columns),
            ".jsonl" => FromJson(path, JsonLinesReader.Read(path), columns),
            // Hugging Face's to_json writes JSON Lines under .json, so a .json file may be either.
            ".json" => FromJson(path, IsJsonArray(path) ? JsonArrayReader.Read(path) : JsonLinesReader.Read(path), columns),
            ".parquet" => ParquetTable.Read(path, columns),
            var other => throw new InvalidInputException(
                $"{path}: unsupported file type '{other}' (expected {string.Join(", ", Extensions)}, or a folder with train/test files)"),
        };

    static IEnumerable<SourceRow> FromCsv(string path, DatasetColumns columns)
    {
        bool first = true;
        foreach (var (line, row) in CsvReader.Read(path))
        {
            if (first)
            {
                foreach (var column in new[] { columns.Text, columns.Pair, columns.Label })
                    if (column is not null && !row.ContainsKey(column)) throw columns.Missing($"{path}:1", column, row.Keys);
                first = false;
            }
            yield return new SourceRow(line, row[columns.Text], columns.Pair is null ? null : row[columns.Pair], row[columns.Label]);
        }
    }

    static IEnumerable<SourceRow> FromJson(string path, IEnumerable<(int Line, JsonObject Row)> rows, DatasetColumns columns)
    {
        foreach (var (line, row) in rows)
        {
            string where = $"{path}:{line}";
            yield return new SourceRow(
                line,
                Scalar(row, columns.Text, where, columns),
                columns.Pair is null ? null : Scalar(row, columns.Pair, where, columns),
                Scalar(row, columns.Label, where, columns));
        }
    }

    /// <summary>A JSON field as a string: strings as they are, numbers and booleans as written; null stays null.</summary>
    static string? Scalar(JsonObject row, string column, string where, DatasetColumns columns)
    {
        if (!row.TryGetPropertyValue(column, out var node)) throw columns.Missing(where, column, row.Select(p => p.Key));
        if (node is null) return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>(),
            JsonValueKind.Number => node.ToJsonString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => null,
            var kind => throw new InvalidInputException($"{where}: column '{column}' holds a JSON {kind.ToString().ToLowerInvariant()}; expected a string or a number"),
        };
    }

    // Peeks past whitespace (and a BOM) at the first character.
    static bool IsJsonArray(string path)
    {
        using var reader = new StreamReader(path);
        int c;
        while ((c = reader.Read()) != -1)
            if (!char.IsWhiteSpace((char)c) && c != '\uFEFF') return c == '[';
        return false;
    }
}
