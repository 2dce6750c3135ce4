using System.Diagnostics;
using FineTune.Core.Arguments;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Modeling.Pretrained;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;
using TorchSharp;
using static TorchSharp.torch;
using AdamW = FineTune.Core.Training.AdamW;
using LayerNorm = TorchSharp.Modules.LayerNorm;
using Padding = FineTune.Core.Data.Padding;

/// <summary>
/// The fused optimizer step (issue 14, point 3) against the per-parameter one it replaced, on the default model, side by
/// side in one process: (1) training steps (forward, backward, clipping, AdamW) on the same batches, variants alternated
/// run by run, giving the whole step and its optimizer part (what StepTimings.Optimizer measures); (2) the optimizer
/// alone, repeated on fixed gradients; (3) the bf16 copy's weight pull and gradient accumulation. Also prints the
/// libtorch calls each variant makes per step, counted from the code paths.
/// </summary>
static class FusedStepBenchmark
{
    public static void Run(string[] argv)
    {
        var o = new BenchmarkOptions(argv);
        int runs = o.Int("--runs", 3), steps = o.Int("--steps", 6), threads = o.Int("--threads", 2), repeats = o.Int("--repeats", 20);
        var args = new TrainingArguments { WeightDecay = o.Double("--weight-decay", 0) }; // Hugging Face's defaults otherwise
        set_num_threads(threads);
        var folder = DefaultModel.EnsureFolder();
        var tokenizer = BertTokenizer.FromFolder(folder);
        var data = TokenizedDataset.Build(BenchmarkSupport.Paragraphs(200), tokenizer, 128);

        var (probe, _) = PretrainedModel.Load(folder, ["0", "1"], 42);
        var names = probe.named_parameters().Select(p => p.name).ToList();
        long elements = probe.parameters().Sum(p => p.numel());
        int decaying = names.Count(AdamW.Decays);
        probe.Dispose();
        bool decay = args.WeightDecay != 0;
        Console.WriteLine($"default model: {names.Count} parameter tensors, {elements:N0} elements ({decaying} tensors decay); batch 8, review paragraphs, {threads} threads, weight decay {args.WeightDecay}");
        Console.WriteLine("libtorch calls per optimizer step (tensor ops and gradient-handle fetches; Scalars and disposals not counted):");
        Console.WriteLine($"  clipping (both): norm, item (+ mul_ when clipping) = 2-3");
        Console.WriteLine($"  AdamW    before: per parameter grad, mul_, add_, mul_, addcmul_, sqrt, div_, add_, addcdiv_ (+ mul_ if it decays) = {9 * names.Count + (decay ? decaying : 0)}; after: {AfterAdamW(elements, decay)}");
        Console.WriteLine($"  bf16     before: pull {names.Count} copy_, accumulate {4 * names.Count} per micro-batch (2 grad handles, add_, zero_ each); after: pull 1, accumulate 2");
        Console.WriteLine($"  total fp32 step (clip + AdamW): before {2 + 9 * names.Count + (decay ? decaying : 0)}, after {2 + AfterAdamW(elements, decay)}; bf16 (+ pull + 1 accumulate): before {2 + 14 * names.Count + (decay ? decaying : 0)}, after {5 + AfterAdamW(elements, decay)}");

        var step = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        var optimizer = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        for (int r = 0; r < runs; r++)
            foreach (var fused in new[] { false, true }) // alternated, so both see the same machine load
            {
                var (s, opt) = TrainSteps(folder, tokenizer, data, args, fused, steps);
                step[fused].AddRange(s);
                optimizer[fused].AddRange(opt);
            }
        var alone = UpdatesAlone(folder, args, repeats);
        var (bf16Before, bf16After) = Bf16Alone(folder, repeats);

        double M(List<double> v) => BenchmarkSupport.Median(v) * 1e3;
        Console.WriteLine();
        Console.WriteLine($"{"median ms (" + runs + " runs x " + steps + " steps; " + repeats + " repeats alone)",-58} {"before",8} {"after",8} {"ratio",6}");
        void Row(string name, double before, double after) => Console.WriteLine($"{name,-58} {before,8:F2} {after,8:F2} {before / after,6:F2}x");
        Row("training step, whole (data, forward, backward, optimizer)", M(step[false]), M(step[true]));
        Row("training step, optimizer part (clip + AdamW)", M(optimizer[false]), M(optimizer[true]));
        Row("clip + AdamW alone, fixed gradients", M(alone[0].Seconds), M(alone[1].Seconds));
        Row("bf16 pull weights + accumulate gradients, alone", M(bf16Before), M(bf16After));
    }

    /// <summary>The fused AdamW's calls: lerp_, mul_, addcmul_ on the whole buffers, 5 per 16 M-element range, 3 more for weight decay.</summary>
    static long AfterAdamW(long elements, bool decay) => 3 + 5 * ((elements + (1 << 24) - 1) >> 24) + (decay ? 3 : 0);

    static List<(string, Tensor)> Named(SequenceClassifier model) => model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();

    /// <summary>Per-step whole and optimizer times (seconds) of `steps` steps after one warm-up step.</summary>
    static (List<double> Step, List<double> Optimizer) TrainSteps(string folder, BertTokenizer tokenizer, TokenizedDataset data, TrainingArguments args, bool fused, int steps)
    {
        var (model, _) = PretrainedModel.Load(folder, ["0", "1"], 42);
        model.train();
        var named = Named(model);
        using var flat = fused ? new FlatParameters(named) : null;
        using var grads = new FlatGradients(named.Select(p => p.Item2).ToList());
        using var after = fused ? new AdamW(flat!, grads.Gradients, args) : null;
        using var before = fused ? null : new PerParameterAdamW(named, args);
        var order = Batching.EpochOrder(data, Enumerable.Range(0, data.Count).ToArray(), 0, 42, false, 8);
        using var count = 8.ToScalar();
        List<double> whole = [], optimizer = [];
        for (int s = 0; s <= steps; s++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            grads.Zero();
            var b = Batching.Collate(data, order.AsSpan(s * 8, 8), Padding.Dynamic, 128, tokenizer.PadId);
            var logits = model.call(tensor(b.InputIds, [b.Size, b.Width]), tensor(b.AttentionMask, [b.Size, b.Width]), tensor(b.TokenTypeIds, [b.Size, b.Width]));
            nn.functional.cross_entropy(logits, tensor(b.Labels), reduction: nn.Reduction.Sum).div(count).backward();
            var t1 = clock.Elapsed.TotalSeconds;
            grads.ClipGlobalNorm(1.0);
            if (fused) after!.Update(5e-5);
            else before!.Update(5e-5);
            var t2 = clock.Elapsed.TotalSeconds;
            if (s == 0) continue; // warm-up
            whole.Add(t2);
            optimizer.Add(t2 - t1);
        }
        model.Dispose();
        return (whole, optimizer);
    }

    /// <summary>Clipping and AdamW alone, `repeats` times each on random gradients, per parameter and fused, alternated.</summary>
    static List<(string Name, List<double> Seconds)> UpdatesAlone(string folder, TrainingArguments args, int repeats)
    {
        var (plain, _) = PretrainedModel.Load(folder, ["0", "1"], 42);
        var plainNamed = Named(plain);
        using var plainGrads = new FlatGradients(plainNamed.Select(p => p.Item2).ToList());
        using (no_grad()) plainGrads.Gradients.normal_(0, 1e-3);
        using var before = new PerParameterAdamW(plainNamed, args);
        var variants = new List<(string Name, Action Step, List<double> Seconds, IDisposable Owner)>
        {
            ("per parameter", () => { plainGrads.ClipGlobalNorm(1.0); before.Update(5e-5); }, [], plain),
        };
        var (model, _) = PretrainedModel.Load(folder, ["0", "1"], 42);
        var named = Named(model);
        using var flat = new FlatParameters(named);
        using var grads = new FlatGradients(named.Select(p => p.Item2).ToList());
        using (no_grad()) grads.Gradients.copy_(plainGrads.Gradients);
        using var adamw = new AdamW(flat, grads.Gradients, args);
        variants.Add(("fused", () => { grads.ClipGlobalNorm(1.0); adamw.Update(5e-5); }, [], model));
        for (int i = 0; i <= repeats; i++)
            foreach (var v in variants)
            {
                var t = Time(v.Step);
                if (i > 0) v.Seconds.Add(t);
            }
        foreach (var v in variants) v.Owner.Dispose();
        return variants.Select(v => (v.Name, v.Seconds)).ToList();
    }

    /// <summary>The bf16 copy's weight pull and one gradient accumulation, per parameter (before) and flat (after).</summary>
    static (List<double> Before, List<double> After) Bf16Alone(string folder, int repeats)
    {
        var (plain, _) = PretrainedModel.Load(folder, ["0", "1"], 42);
        var (flatModel, _) = PretrainedModel.Load(folder, ["0", "1"], 42);
        var plainNamed = Named(plain);
        using var plainGrads = new FlatGradients(plainNamed.Select(p => p.Item2).ToList());
        var copy = ModelFactory.CreateClassifier(plain.Config); // the old MixedPrecision's bf16 copy
        copy.to(ScalarType.BFloat16);
        foreach (var norm in copy.modules().OfType<LayerNorm>()) norm.to(ScalarType.Float32);
        var copies = copy.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var pairs = plainNamed.Select(p => (p.Item2, copies[p.Item1])).ToList();
        foreach (var (_, c) in pairs) c.grad = zeros_like(c);
        var flatNamed = Named(flatModel);
        using var flat = new FlatParameters(flatNamed);
        using var flatGrads = new FlatGradients(flatNamed.Select(p => p.Item2).ToList());
        using var precision = MixedPrecision.For(flatModel, "bf16", flat, flatGrads);
        List<double> b = [], a = [];
        for (int i = 0; i <= repeats; i++)
        {
            var t = Time(() => { PerParameterAdamW.PullWeights(pairs); PerParameterAdamW.AccumulateGradients(pairs); });
            var u = Time(() => { precision.PullWeights(); precision.AccumulateGradients(); });
            if (i == 0) continue;
            b.Add(t);
            a.Add(u);
        }
        copy.Dispose();
        plain.Dispose();
        flatModel.Dispose();
        return (b, a);
    }

    static double Time(Action work)
    {
        var clock = Stopwatch.StartNew();
        work();
        return clock.Elapsed.TotalSeconds;
    }
}
