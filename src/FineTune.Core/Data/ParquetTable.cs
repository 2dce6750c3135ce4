using System.Globalization;
using Parquet;
using Parquet.Schema;

namespace FineTune.Core.Data;

/// <summary>
/// Reads the text, pair and label columns of a Parquet file (e.g. the hub's yelp_review_full shards: label int64,
/// text string), row group by row group. Labels may be any integer type, boolean or string; nulls are allowed.
/// </summary>
internal static class ParquetTable
{
    /// <summary>The rows, one row group at a time: a reader that stops early (Submit's check of the first rows) reads one group.</summary>
    public static IEnumerable<SourceRow> Read(string path, DatasetColumns columns)
    {
        using var file = Guard(path, () => Open(path, columns).GetAwaiter().GetResult());
        int before = 0;
        for (int g = 0; g < file.Reader.RowGroupCount; g++)
        {
            var rows = Guard(path, () => ReadGroup(file, g, path, before).GetAwaiter().GetResult());
            before += rows.Count;
            foreach (var row in rows) yield return row;
        }
    }

    sealed record OpenFile(ParquetReader Reader, DataField Text, DataField? Pair, DataField Label) : IDisposable
    {
        public void Dispose() => Reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    static async Task<OpenFile> Open(string path, DatasetColumns columns)
    {
        // Binary columns without a UTF-8 annotation (some writers) still read as text.
        var reader = await ParquetReader.CreateAsync(path, new ParquetOptions { TreatByteArrayAsString = true });
        var top = reader.Schema.Fields;
        DataField Column(string name) =>
            top.FirstOrDefault(f => f.Name == name) switch
            {
                DataField { IsArray: false } field => field,
                null => throw columns.Missing(path, name, top.Select(f => f.Name)),
                _ => throw new InvalidInputException($"{path}: column '{name}' is nested or a list; expected plain values"),
            };
        try
        {
            return new OpenFile(reader, Column(columns.Text), columns.Pair is null ? null : Column(columns.Pair), Column(columns.Label));
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
    }

    static async Task<List<SourceRow>> ReadGroup(OpenFile file, int g, string path, int before)
    {
        using var group = file.Reader.OpenRowGroupReader(g);
        int n = checked((int)group.RowCount);
        var texts = await Strings(group, file.Text, n, path);
        var pairs = file.Pair is null ? null : await Strings(group, file.Pair, n, path);
        var labels = await Labels(group, file.Label, n, path);
        var rows = new List<SourceRow>(n);
        for (int i = 0; i < n; i++) rows.Add(new SourceRow(before + i + 1, texts[i], pairs?[i], labels[i]));
        return rows;
    }

    /// <summary>Anything the Parquet library throws is this file's problem, said in one line naming it.</summary>
    static T Guard<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not InvalidInputException and not OutOfMemoryException)
        {
            throw new InvalidInputException($"{path}: cannot read it as Parquet ({e.Message})", e);
        }
    }

    static async Task<string?[]> Strings(ParquetRowGroupReader group, DataField field, int n, string path)
    {
        if (!IsString(field))
            throw new InvalidInputException($"{path}: column '{field.Name}' holds {field.ClrType.Name} values; expected strings");
        var values = new string?[n];
        await group.ReadAsync(field, values.AsMemory());
        return values;
    }

    // Labels become strings here (integers in invariant form); label inference decides later whether they are numbers.
    static Task<string?[]> Labels(ParquetRowGroupReader group, DataField field, int n, string path) =>
        IsString(field) ? Strings(group, field, n, path) : Type.GetTypeCode(field.ClrType) switch
        {
            TypeCode.SByte => Values<sbyte>(group, field, n),
            TypeCode.Byte => Values<byte>(group, field, n),
            TypeCode.Int16 => Values<short>(group, field, n),
            TypeCode.UInt16 => Values<ushort>(group, field, n),
            TypeCode.Int32 => Values<int>(group, field, n),
            TypeCode.UInt32 => Values<uint>(group, field, n),
            TypeCode.Int64 => Values<long>(group, field, n),
            TypeCode.UInt64 => Values<ulong>(group, field, n),
            TypeCode.Boolean => Values<bool>(group, field, n),
            _ => throw new InvalidInputException(
                $"{path}: label column '{field.Name}' holds {field.ClrType.Name} values; expected integers or strings"),
        };

    static async Task<string?[]> Values<T>(ParquetRowGroupReader group, DataField field, int n) where T : struct
    {
        var result = new string?[n];
        if (field.IsNullable)
        {
            var values = new T?[n];
            await group.ReadAsync<T>(field, values.AsMemory());
            for (int i = 0; i < n; i++) result[i] = values[i] is { } v ? Format(v) : null;
        }
        else
        {
            var values = new T[n];
            await group.ReadAsync<T>(field, values.AsMemory());
            for (int i = 0; i < n; i++) result[i] = Format(values[i]);
        }
        return result;
    }

    // Parquet.Net 6 describes string columns as ReadOnlyMemory<char>; they read into strings all the same.
    static bool IsString(DataField field) => field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>);

    static string Format<T>(T value) where T : struct =>
        value is bool b ? (b ? "true" : "false") : Convert.ToString(value, CultureInfo.InvariantCulture)!;
}
