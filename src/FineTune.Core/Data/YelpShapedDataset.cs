using System.Text;
using FineTune.Contracts.Transfers;
using Parquet;
using Parquet.Schema;

namespace FineTune.Core.Data;

/// <summary>
/// A dataset shaped like the hub's <c>yelp_review_full</c>, for scale benchmarks: the folder
/// <c>yelp_review_full/</c> with <c>train-00000-of-00001.parquet</c> and <c>test-00000-of-00001.parquet</c>, columns
/// <c>label</c> (int64, 0-4) and <c>text</c>. Each review is 4-8 real sentences drawn (seeded, with replacement) from
/// labelled sentences (the default dataset's 1,000 Yelp sentences), and its label is
/// round(4 x positive sentences / sentences), halves rounded up, so the labels are learnable from the text.
/// Made at benchmark time, never committed.
/// </summary>
public static class YelpShapedDataset
{
    public const string FolderName = "yelp_review_full";
    public const string TrainFile = "train-00000-of-00001.parquet";
    public const string TestFile = "test-00000-of-00001.parquet";
    public const int MinSentences = 4, MaxSentences = 8;
    // Row groups bound the writer's memory; the hub's shards have row groups of this order too.
    const int RowGroupSize = 50_000;

    /// <summary>The label of a review with <paramref name="positive"/> positive sentences out of <paramref name="sentences"/>.</summary>
    public static long Label(int positive, int sentences) =>
        (long)Math.Round(4.0 * positive / sentences, MidpointRounding.AwayFromZero);

    /// <summary>Writes the dataset under <paramref name="root"/> and returns its folder (root/yelp_review_full).</summary>
    public static string Write(string root, IReadOnlyList<(string Text, int Label)> sentences, int train, int test, long seed = 42)
    {
        if (train <= 0) throw new InvalidInputException($"--train {train}: must be a positive number of rows");
        if (test <= 0) throw new InvalidInputException($"--test {test}: must be a positive number of rows");
        if (sentences.Count == 0) throw new InvalidInputException("yelp-shaped dataset: no sentences to draw from");
        var folder = Path.Combine(root, FolderName);
        Directory.CreateDirectory(folder);
        // Separate seeded streams, so the test split does not change with --train.
        WriteSplit(Path.Combine(folder, TrainFile), sentences, train, new SplitMix64((ulong)seed)).GetAwaiter().GetResult();
        WriteSplit(Path.Combine(folder, TestFile), sentences, test, new SplitMix64(SplitMix64.Mix((ulong)seed + 1))).GetAwaiter().GetResult();
        return folder;
    }

    static async Task WriteSplit(string path, IReadOnlyList<(string Text, int Label)> sentences, int rows, SplitMix64 random)
    {
        // As pyarrow writes the hub's files: optional (nullable) int64 label, then text.
        var label = new DataField<long?>("label");
        var text = new DataField<string>("text");
        using var file = AtomicFile.Create(path);
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(label, text), file.Stream))
        {
            var review = new StringBuilder();
            for (int start = 0; start < rows; start += RowGroupSize)
            {
                int count = Math.Min(RowGroupSize, rows - start);
                var labels = new long?[count];
                var texts = new string[count];
                for (int r = 0; r < count; r++)
                {
                    int n = MinSentences + random.NextBelow(MaxSentences - MinSentences + 1), positive = 0;
                    review.Clear();
                    for (int s = 0; s < n; s++)
                    {
                        var (sentence, sentenceLabel) = sentences[random.NextBelow(sentences.Count)];
                        if (s > 0) review.Append(' ');
                        review.Append(sentence.Trim());
                        positive += sentenceLabel;
                    }
                    texts[r] = review.ToString();
                    labels[r] = Label(positive, n);
                }
                using var group = writer.CreateRowGroup();
                await group.WriteAsync<long>(label, labels.AsMemory());
                await group.WriteAsync(text, texts);
            }
        }
        file.Commit();
    }
}
