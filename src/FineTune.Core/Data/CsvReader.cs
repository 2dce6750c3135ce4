using System.Text;

namespace FineTune.Core.Data;

/// <summary>
/// RFC 4180 CSV: a header row, comma-separated fields, double-quoted fields that may hold commas,
/// newlines and doubled quotes; UTF-8 with or without BOM. Rows are dictionaries keyed by the header.
/// </summary>
public static class CsvReader
{
    public static IEnumerable<(int Line, Dictionary<string, string> Row)> Read(string path)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
        string[]? header = null;
        foreach (var (line, fields) in Records(reader, path))
        {
            if (header is null)
            {
                header = fields;
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

    static IEnumerable<(int Line, string[] Fields)> Records(TextReader reader, string path)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1;
        bool quoted = false, any = false;
        int c;
        while ((c = reader.Read()) != -1)
        {
            any = true;
            char ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { field.Append('"'); reader.Read(); }
                    else quoted = false;
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"' when field.Length == 0: quoted = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n':
                    fields.Add(field.ToString()); field.Clear();
                    yield return (recordLine, fields.ToArray());
                    fields.Clear();
                    recordLine = ++line;
                    any = false;
                    break;
                default: field.Append(ch); break;
            }
        }
        if (quoted) throw new InvalidInputException($"{path}:{recordLine}: unterminated quoted field");
        if (any || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return (recordLine, fields.ToArray());
        }
    }
}
