using System.Text;
using FineTune.Core.Tokenization;
using Parquet;
using Parquet.Schema;

namespace FineTune.Core.Tests.Data;

/// <summary>Test data written at test time into fresh temp folders (no committed data files), and a tiny tokenizer.</summary>
static class DataFixtures
{
    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "finetune-tests", "data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// A README shaped like the hub's yelp_review_full card: a default config whose splits are parquet shards under
    /// yelp_review_full/, and dataset_info naming the five star classes of the label column.
    /// </summary>
    public static string YelpCard(int trainRows, int testRows) => $"""
        ---
        language:
        - en
        configs:
        - config_name: yelp_review_full
          data_files:
          - split: train
            path: yelp_review_full/train-*
          - split: test
            path: yelp_review_full/test-*
          default: true
        dataset_info:
          config_name: yelp_review_full
          features:
          - name: label
            dtype:
              class_label:
                names:
                  '0': 1 star
                  '1': 2 star
                  '2': 3 stars
                  '3': 4 stars
                  '4': 5 stars
          - name: text
            dtype: string
          splits:
          - name: train
            num_examples: {trainRows}
          - name: test
            num_examples: {testRows}
        ---
        # Yelp reviews (test fixture)

        """;

    /// <summary>Writes text as UTF-8 (no BOM unless asked) into a new file in a new temp folder, or in <paramref name="dir"/>.</summary>
    public static string Write(string name, string text, string? dir = null, bool bom = false)
    {
        var path = Path.Combine(dir ?? TempDir(), name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text, new UTF8Encoding(bom));
        return path;
    }

    /// <summary>JSON Lines of {"text", "label"} with integer labels.</summary>
    public static string JsonLines(string name, IEnumerable<(string Text, int Label)> rows, string? dir = null) =>
        Write(name, string.Concat(rows.Select(r => $"{{\"text\": \"{r.Text}\", \"label\": {r.Label}}}\n")), dir);

    /// <summary>
    /// A Parquet file shaped like the hub's yelp_review_full shards: columns label (T) then text (string), as
    /// pyarrow writes them (optional, i.e. nullable, unless <paramref name="required"/>), split into row groups.
    /// </summary>
    public static string Parquet<T>(string path, T?[] labels, string?[] texts, bool required = false, int rowGroupSize = 1000, string labelName = "label")
        where T : struct
    {
        WriteParquet(path, labels, texts, required, rowGroupSize, labelName).GetAwaiter().GetResult();
        return path;
    }

    static async Task WriteParquet<T>(string path, T?[] labels, string?[] texts, bool required, int rowGroupSize, string labelName) where T : struct
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        DataField label = required ? new DataField<T>(labelName) : new DataField<T?>(labelName);
        var text = new DataField<string>("text");
        using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(label, text), stream);
        for (int start = 0; start < labels.Length; start += rowGroupSize)
        {
            int count = Math.Min(rowGroupSize, labels.Length - start);
            using var group = writer.CreateRowGroup();
            if (required) await group.WriteAsync<T>(label, labels.Skip(start).Take(count).Select(l => l!.Value).ToArray().AsMemory());
            else await group.WriteAsync<T>(label, labels.Skip(start).Take(count).ToArray().AsMemory());
            await group.WriteAsync(text, texts.Skip(start).Take(count).ToArray());
        }
    }

    /// <summary>A Parquet file with a string label column.</summary>
    public static string ParquetStrings(string path, string?[] labels, string?[] texts) =>
        WriteStrings(path, labels, texts).GetAwaiter().GetResult();

    static async Task<string> WriteStrings(string path, string?[] labels, string?[] texts)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var label = new DataField<string>("label");
        var text = new DataField<string>("text");
        using var stream = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(text, label), stream);
        using var group = writer.CreateRowGroup();
        await group.WriteAsync(text, texts);
        await group.WriteAsync(label, labels);
        return path;
    }

    /// <summary>A tokenizer whose words are "w0".."w49" (each one token) plus a few letters.</summary>
    public static BertTokenizer Tokenizer() =>
        new(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d", .. Enumerable.Range(0, 50).Select(i => $"w{i}")]);

    /// <summary>"w0 w1 ... w{n-1}": a text of exactly n tokens (words beyond 49 wrap around).</summary>
    public static string Words(int n, int offset = 0) => string.Join(' ', Enumerable.Range(offset, n).Select(i => $"w{i % 50}"));
}
