using System.Globalization;
using System.Text.Json.Nodes;
using FineTune.Core.Data;

/// <summary>What the benchmark modes share: options parsing, medians and the review-length text.</summary>
static class BenchmarkSupport
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>The default dataset's Yelp sentences.</summary>
    public static List<LabeledExample> Sentences() =>
        File.ReadLines(DefaultDataset.EnsureFile()).Select(l => JsonNode.Parse(l)!)
            .Select(n => new LabeledExample(n["text"]!.ToString(), null, n["label"]!.GetValue<int>())).ToList();

    /// <summary>Review-length text: 6-12 sentences of the same label joined into a paragraph (~100-200 tokens, like yelp_review_full).</summary>
    public static List<LabeledExample> Paragraphs(int count)
    {
        var sentences = Sentences();
        var random = new Random(1);
        return Enumerable.Range(0, count).Select(i =>
        {
            var label = i % 2;
            var pool = sentences.Where(s => s.Label == label).ToList();
            return new LabeledExample(string.Join(' ', Enumerable.Range(0, random.Next(6, 13)).Select(_ => pool[random.Next(pool.Count)].Text)), null, label);
        }).ToList();
    }
}

/// <summary>"--name value" options of a benchmark mode.</summary>
sealed class BenchmarkOptions(string[] args)
{
    public bool Has(string name) => Array.IndexOf(args, name) >= 0;
    public string String(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{name} is required");
    public int Int(string name, int fallback) => Has(name) ? int.Parse(String(name), CultureInfo.InvariantCulture) : fallback;
    public double Double(string name, double fallback) => Has(name) ? double.Parse(String(name), CultureInfo.InvariantCulture) : fallback;
    public int[] Ints(string name, int[] fallback) => Has(name) ? String(name).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : fallback;
}
