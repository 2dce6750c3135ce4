namespace FineTune.Cli;

/// <summary>A plain aligned text table for human output (scripts use --json).</summary>
public sealed class Table(params string[] headers)
{
    readonly List<string[]> rows = [];

    public void Add(params string[] cells) => rows.Add(cells);

    public void Write(TextWriter writer)
    {
        var widths = headers.Select((h, i) => rows.Select(r => Cell(r[i]).Length).Prepend(h.Length).Max()).ToArray();
        writer.WriteLine(Line(headers));
        writer.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows) writer.WriteLine(Line(row));

        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => Cell(c).PadRight(widths[i]))).TrimEnd();
    }

    // One line per row: newlines and tabs inside a cell would break the columns.
    static string Cell(string s) => s.Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ');
}
