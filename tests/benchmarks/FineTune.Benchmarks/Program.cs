using System.Diagnostics;
using System.Text.Json.Nodes;
using FineTune.Core.Data;
using FineTune.Core.Inference;
using FineTune.Core.Modeling.Pretrained;
using FineTune.Core.Tokenization;

// Throughput of the tokenizer and of `predict` (default), of training (`train`), of the all-reduce (`allreduce`),
// or the data-parallel scaling efficiency (`scaling`),
// on real review sentences (the default dataset), medians of repeated runs measured side by side.
// Usage: dotnet run -c Release --project tests/benchmarks/FineTune.Benchmarks [-- train|allreduce|scaling] [options]
if (args.Length > 0 && args[0] == "train")
{
    TrainBenchmark.Run(Arg("--runs", 5), Arg("--steps", 12), Arg("--threads", 2));
    return;
}
// `telemetry`: the training telemetry's cost per step against the median step time (see TelemetryBenchmark).
if (args.Length > 0 && args[0] == "telemetry")
{
    TelemetryBenchmark.Run(Arg("--runs", 5), Arg("--steps", 8), Arg("--threads", 2));
    return;
}
// `fused`: the fused optimizer step against the per-parameter one, on the default model (see FusedStepBenchmark).
if (args.Length > 0 && args[0] == "fused")
{
    FusedStepBenchmark.Run(args[1..]);
    return;
}
// `bert-base-folder DIR`: a bert-base-cased-shaped model folder with random weights (see BertBaseFolder, bert-base.sh).
if (args.Length > 0 && args[0] == "bert-base-folder")
{
    BertBaseFolder.Run(args[1..]);
    return;
}
// `allreduce`: bus bandwidth of the ring (TCP and Unix sockets), one process per rank, against raw loopback TCP (see AllReduceBenchmark).
if (args.Length > 0 && args[0] == "allreduce")
{
    AllReduceBenchmark.Run(args[1..]);
    return;
}
// `scaling`: data-parallel scaling efficiency of the Trainer, 2 worker processes over the ring vs 1 (see ScalingBenchmark).
if (args.Length > 0 && args[0] == "scaling")
{
    ScalingBenchmark.Run(args[1..]);
    return;
}
// `yelp-dataset`: writes a yelp_review_full-shaped dataset (hub Parquet layout) for the scale benchmark (see YelpShapedDataset).
if (args.Length > 0 && args[0] == "yelp-dataset")
{
    var root = args.Contains("--out") ? args[Array.IndexOf(args, "--out") + 1] : "datasets";
    var clock = Stopwatch.StartNew();
    var folder = YelpShapedDataset.Write(root, [.. BenchmarkSupport.Sentences().Select(s => (s.Text, s.Label))], Arg("--train", 650_000), Arg("--test", 50_000), Arg("--seed", 42));
    Console.WriteLine($"{folder}: {Arg("--train", 650_000):N0} train + {Arg("--test", 50_000):N0} test rows in {clock.Elapsed.TotalSeconds:F1} s");
    return;
}
// `submit-latency`: one job's Submit RPC latency and submit-to-first-step against a running coordinator (see SubmitLatencyBenchmark, submit-latency.sh).
if (args.Length > 0 && args[0] == "submit-latency")
{
    Environment.Exit(SubmitLatencyBenchmark.Run(args[1..]));
}
// `anchor`: our Trainer against plain PyTorch eager on the default job's batches (see AnchorBenchmark, pytorch-anchor.sh).
if (args.Length > 0 && args[0] == "anchor")
{
    AnchorBenchmark.Run(args[1..]);
    return;
}
// `hub-download`: our HubClient against curl on a 400 MB LFS file of the loopback test hub (see HubDownloadBenchmark, hub-download.sh).
if (args.Length > 0 && args[0] == "hub-download")
{
    Environment.Exit(HubDownloadBenchmark.Run(args[1..]));
}
// `sweep-samplers`: TPE against random search on synthetic fine-tune-shaped objectives (see SweepSamplerBenchmark, sweep-samplers.sh).
if (args.Length > 0 && args[0] == "sweep-samplers")
{
    SweepSamplerBenchmark.Run(args[1..]);
    return;
}
var runs = Arg("--runs", 5);
var predictThreads = Arg("--predict-threads", 2);
var batchSize = Arg("--batch-size", 32);

var sentences = File.ReadLines(DefaultDataset.EnsureFile()).Select(l => JsonNode.Parse(l)!["text"]!.ToString()).ToArray();
var modelFolder = DefaultModel.EnsureFolder();

// --- Tokenizer: ~4 MB of review text, one thread, three implementations side by side on the same text.
var corpus = Enumerable.Repeat(sentences, 60).SelectMany(s => s).ToArray();
var megabytes = corpus.Sum(s => System.Text.Encoding.UTF8.GetByteCount(s)) / 1e6;
var ours = BertTokenizer.FromFolder(modelFolder);
var fast = new FastBertTokenizer.BertTokenizer();
using (var vocab = File.OpenText(Path.Combine(modelFolder, "vocab.txt"))) fast.LoadVocabulary(vocab, convertInputToLowercase: true);
var jsonPath = Path.Combine(Path.GetTempPath(), "finetune-bench-tokenizer.json");
File.WriteAllText(jsonPath, TokenizerJson(ours.Vocab));
var rust = new Tokenizers.DotNet.Tokenizer(vocabPath: jsonPath);

long tokens = corpus.Sum(s => (long)ours.EncodeIds(s, int.MaxValue).Length);
Console.WriteLine($"tokenizer corpus: {corpus.Length:N0} sentences, {megabytes:F1} MB, {tokens:N0} tokens; {runs} runs, 1 thread");
var table = new List<(string Name, double Median, string Unit)>
{
    ("tokenizer: FineTune BertTokenizer", Median(runs, () => { foreach (var s in corpus) ours.EncodeIds(s, int.MaxValue); }, tokens), "tokens/s"),
    ("tokenizer: FastBertTokenizer 1.2.6", Median(runs, () => { foreach (var s in corpus) fast.Encode(s, 100_000); }, tokens), "tokens/s"),
    ("tokenizer: HF tokenizers (Rust) via Tokenizers.DotNet", Median(runs, () => { foreach (var s in corpus) rust.Encode(s); }, tokens), "tokens/s"),
};

// --- predict: the default model, batch 32, 2 threads, the 1,000 sentences.
TorchSharp.torch.set_num_threads(predictThreads);
using var classifier = TextClassifier.Load(modelFolder);
classifier.Predict(sentences.Take(batchSize), batchSize).ToList(); // warm-up
table.Add(($"predict: default model, batch {batchSize}, {predictThreads} threads", Median(Math.Max(3, runs / 2), () => classifier.Predict(sentences, batchSize).ToList(), sentences.Length), "sentences/s"));

Console.WriteLine();
Console.WriteLine($"{"benchmark",-58} {"median",14}  unit");
foreach (var (name, median, unit) in table) Console.WriteLine($"{name,-58} {median,14:N0}  {unit}");
Console.WriteLine($"ratio FineTune / FastBertTokenizer: {table[0].Median / table[1].Median:F2}x; FineTune / HF Rust: {table[0].Median / table[2].Median:F2}x");

static double Median(int runs, Action work, double items)
{
    var rates = new List<double>();
    for (int i = 0; i < runs; i++)
    {
        var clock = Stopwatch.StartNew();
        work();
        rates.Add(items / clock.Elapsed.TotalSeconds);
    }
    rates.Sort();
    return rates[rates.Count / 2];
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}

static string TokenizerJson(IReadOnlyList<string> vocab)
{
    var v = new JsonObject();
    for (int i = 0; i < vocab.Count; i++) v[vocab[i]] = i;
    int Id(string t) => vocab.ToList().IndexOf(t);
    return new JsonObject
    {
        ["version"] = "1.0",
        ["normalizer"] = new JsonObject { ["type"] = "BertNormalizer", ["clean_text"] = true, ["handle_chinese_chars"] = true, ["strip_accents"] = null, ["lowercase"] = true },
        ["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" },
        ["model"] = new JsonObject { ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##", ["max_input_chars_per_word"] = 100, ["vocab"] = v },
        ["post_processor"] = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "[CLS]", ["type_id"] = 0 } }, new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }, new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "[SEP]", ["type_id"] = 0 } }),
            ["pair"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "[CLS]", ["type_id"] = 0 } }, new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }, new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "[SEP]", ["type_id"] = 0 } }, new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }, new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "[SEP]", ["type_id"] = 1 } }),
            ["special_tokens"] = new JsonObject
            {
                ["[CLS]"] = new JsonObject { ["id"] = "[CLS]", ["ids"] = new JsonArray(Id("[CLS]")), ["tokens"] = new JsonArray("[CLS]") },
                ["[SEP]"] = new JsonObject { ["id"] = "[SEP]", ["ids"] = new JsonArray(Id("[SEP]")), ["tokens"] = new JsonArray("[SEP]") },
            },
        },
    }.ToJsonString();
}
