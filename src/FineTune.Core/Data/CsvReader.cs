using System.Text;

namespace FineTune.Core.Data;

/// <summary>
/// RFC 4180 CSV: a header row, comma-separated fields, double-quoted fields that may hold commas,
/// newlines and doubled quotes; UTF-8 with or without BOM. Rows are dictionaries keyed by the header.
/// Line numbers are those of the file (a record spanning lines is named by its first line).
/// </summary>
public static class CsvReader
{
    public static IEnumerable<(int Line, Dictionary<string, string> Row)> Read(string path)
    {
        string[]? header = null;
        foreach (var (line, fields) in Records(path))
        {
            if (header is null)
            {
                header = fields;
                var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
                if (duplicate is not null)
                    throw new InvalidInputException($"{path}:{line}: the header names the column '{duplicate.Key}' twice");
                continue;
            }
            if (fields.Length == 1 && fields[0].Length == 0) continue; // blank line
            if (fields.Length != header.Length)
                throw new InvalidInputException($"{path}:{line}: has {fields.Length} fields but the header has {header.Length}");
            var row = new Dictionary<string, string>(header.Length, StringComparer.Ordinal);
            for (int i = 0; i < header.Length; i++) row[header[i]] = fields[i];
            yield return (line, row);
        }
        if (header is null) throw new InvalidInputException($"{path}: empty file (expected a header row)");
    }

    // Parses physical lines into records; a quoted field carries its state (and a '\n') over to the next line.
    static IEnumerable<(int Line, string[] Fields)> Records(string path)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int recordLine = 0;
        bool quoted = false;
        foreach (var (line, text) in Utf8Lines.Read(path))
        {
            if (quoted) field.Append('\n');
            else
            {
                recordLine = line;
                // Fast path: a whole record on a line without quotes is a plain split.
                if (!text.Contains('"'))
                {
                    yield return (line, (text.Contains('\r') ? text.Replace("\r", "") : text).Split(','));
                    continue;
                }
            }
            for (int i = 0; i < text.Length; i++)
            {
                char ch = text[i];
                if (quoted)
                {
                    if (ch != '"') field.Append(ch);
                    else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else quoted = false;
                    continue;
                }
                switch (ch)
                {
                    case '"' when field.Length == 0: quoted = true; break;
                    case ',': fields.Add(field.ToString()); field.Clear(); break;
                    case '\r': break;
                    default: field.Append(ch); break;
                }
            }
            if (quoted) continue;
            fields.Add(field.ToString());
            field.Clear();
            yield return (recordLine, fields.ToArray());
            fields.Clear();
        }
        if (quoted) throw new InvalidInputException($"{path}:{recordLine}: unterminated quoted field");
    }
}
