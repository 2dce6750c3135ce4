using System.Diagnostics;
using System.Text.Json.Nodes;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Modeling.Pretrained;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;
using FineTune.Core.Arguments;
using static TorchSharp.torch;

/// <summary>
/// Training throughput with the default model (all-MiniLM-L6-v2), batch 8:
/// 1. dynamic padding vs max_length padding (128), on the Yelp sentences and on review-length paragraphs;
/// 2. the per-step overhead of the Trainer against a bare TorchSharp loop (forward, loss, backward, torch AdamW) on the
///    same model and the same batches.
/// Each configuration runs `steps` optimizer steps per repetition; the table gives the median over repetitions.
/// </summary>
static class TrainBenchmark
{
    public static void Run(int runs, int steps, int threads)
    {
        set_num_threads(threads);
        var folder = DefaultModel.EnsureFolder();
        var tokenizer = BertTokenizer.FromFolder(folder);
        var sentences = BenchmarkSupport.Sentences();
        var paragraphs = BenchmarkSupport.Paragraphs(400);

        var rows = new List<(string Name, double Median, string Unit)>();
        foreach (var (name, examples) in new[] { ("Yelp sentences", sentences), ("review-length paragraphs", paragraphs) })
        {
            var data = TokenizedDataset.Build(examples, tokenizer, 128);
            Console.WriteLine($"{name}: {data.Count} examples, mean {data.TotalTokens / (double)data.Count:0} tokens (truncated at 128)");
            foreach (var padding in new[] { Padding.Dynamic, Padding.MaxLength })
                rows.Add(($"train {name}, padding {padding}", Median(runs, () => TrainerSteps(folder, tokenizer, data, padding, steps)), "samples/s"));
        }
        var review = TokenizedDataset.Build(paragraphs, tokenizer, 128);
        var trainer = new List<double>();
        var bare = new List<double>();
        for (int r = 0; r < runs; r++) // interleaved, so both see the same machine load
        {
            trainer.Add(TrainerSteps(folder, tokenizer, review, Padding.Dynamic, steps));
            bare.Add(BareSteps(folder, tokenizer, review, steps));
        }
        double trainerMedian = BenchmarkSupport.Median(trainer), bareMedian = BenchmarkSupport.Median(bare);
        rows.Add(("trainer (FineTune.Core Trainer), review paragraphs", trainerMedian, "samples/s"));
        rows.Add(("bare TorchSharp loop, same model and batches", bareMedian, "samples/s"));

        Console.WriteLine();
        Console.WriteLine($"{"benchmark (batch 8, " + threads + " threads, " + steps + " steps x " + runs + " runs)",-60} {"median",10}  unit");
        foreach (var (n, m, u) in rows) Console.WriteLine($"{n,-60} {m,10:0.00}  {u}");
        Console.WriteLine($"dynamic / max_length speedup: sentences {rows[0].Median / rows[1].Median:0.00}x, paragraphs {rows[2].Median / rows[3].Median:0.00}x");
        Console.WriteLine($"trainer overhead per step vs bare loop: {(bareMedian / trainerMedian - 1) * 100:+0.0;-0.0}%");
    }

    static TrainingArguments Args(Padding padding, int steps) => new()
    {
        OutputDir = Path.Combine(Path.GetTempPath(), "finetune-bench-train"),
        MaxSteps = steps,
        Padding = padding,
        MaxLength = 128,
        PerDeviceTrainBatchSize = 8,
        EvalStrategy = "no",
        SaveStrategy = "no",
        LoggingSteps = 10,
        Seed = 42,
    };

    /// <summary>Samples/s of the real Trainer for `steps` steps (after one warm-up step, so both loops start warm).</summary>
    static double TrainerSteps(string folder, BertTokenizer tokenizer, TokenizedDataset data, Padding padding, int steps)
    {
        var (model, _) = PretrainedModel.Load(folder, ["0", "1"], 42);
        using var single = new SingleProcess();
        new Trainer(Args(padding, 1), model, tokenizer, data, null, single).Train();
        var clock = Stopwatch.StartNew();
        var outcome = new Trainer(Args(padding, steps), model, tokenizer, data, null, single).Train();
        return outcome.SamplesSeen / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The same batches through forward, loss, backward, torch's AdamW and zero_grad, nothing else.</summary>
    static double BareSteps(string folder, BertTokenizer tokenizer, TokenizedDataset data, int steps)
    {
        var (model, _) = PretrainedModel.Load(folder, ["0", "1"], 42);
        model.train();
        var optimizer = optim.AdamW(model.parameters(), lr: 5e-5);
        var order = Batching.EpochOrder(data, Enumerable.Range(0, data.Count).ToArray(), 0, 42, false, 8);
        int samples = 0;
        Stopwatch? clock = null;
        for (int s = 0; s <= steps; s++)
        {
            if (s == 1) { clock = Stopwatch.StartNew(); samples = 0; } // step 0 is the warm-up
            using var scope = NewDisposeScope();
            var b = Batching.Collate(data, order.AsSpan(Math.Max(0, s - 1) * 8, 8), Padding.Dynamic, 128, tokenizer.PadId); // the Trainer's batches, in its order
            var ids = tensor(b.InputIds, [b.Size, b.Width]);
            var logits = model.call(ids, tensor(b.AttentionMask, [b.Size, b.Width]), tensor(b.TokenTypeIds, [b.Size, b.Width]));
            var loss = nn.functional.cross_entropy(logits, tensor(b.Labels));
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            optimizer.zero_grad();
            samples += b.Size;
        }
        return samples / clock!.Elapsed.TotalSeconds;
    }
    static double Median(int runs, Func<double> measure) => BenchmarkSupport.Median(Enumerable.Range(0, runs).Select(_ => measure()));
}
