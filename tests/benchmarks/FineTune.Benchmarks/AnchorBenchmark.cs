using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using FineTune.Core.Arguments;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Sharding;
using FineTune.Core.Tokenization;
using FineTune.Core.Torch;
using FineTune.Core.Training;
using static TorchSharp.torch;

/// <summary>
/// The PyTorch eager anchor: our Trainer against plain PyTorch (tests/benchmarks/pytorch_anchor.py) on the default job's
/// model and batches. The default job's data (the default dataset's training split, our tokenizer, max length 128,
/// dynamic padding) and the first warm-up + N batches of its epoch-0 order are written to a JSON file with the initial
/// weights (classifier head included) as a safetensors folder; the Python side loads both, so both train the same
/// weights on the same token ids. A check first compares the two models' eval-mode logits on batch 0. Then the rounds
/// alternate (ABBA) our Trainer (a fresh copy of the weights each round) and one Python pass, each timing the N steps
/// after its warm-up step. Same thread count for both.
/// </summary>
static class AnchorBenchmark
{
    public static void Run(string[] argv)
    {
        var o = new BenchmarkOptions(argv);
        int runs = o.Int("--runs", 5), steps = o.Int("--steps", 30), threads = o.Int("--threads", 2);
        string python = o.Has("--python") ? o.String("--python") : "/usr/bin/python3";
        string script = o.Has("--script") ? o.String("--script") : Path.Combine("tests", "benchmarks", "pytorch_anchor.py");
        bool tuned = NativeHeap.Tune(); // as the finetune CLI runs
        set_num_threads(threads);

        var work = Directory.CreateTempSubdirectory("finetune-anchor-").FullName;
        var args = new TrainingArguments { OutputDir = Path.Combine(work, "out"), MaxSteps = steps + 1, EvalStrategy = "no", SaveStrategy = "no", Threads = threads };
        var (folder, _) = ModelCheck.Run(args);
        var data = DatasetLoader.Load(args.ToDatasetOptions());
        var tokenizer = BertTokenizer.FromFolder(folder);
        var train = TokenizedDataset.Build(data.Train, tokenizer, args.MaxLength);
        var (model, _) = PretrainedModel.Load(folder, data.LabelNames, args.Seed); // the head initialised from the seed, as `train` does
        var start = Path.Combine(work, "start");
        ModelFolder.Save(model, tokenizer, start);
        var batches = DumpBatches(Path.Combine(work, "batches.json"), model, train, args, tokenizer.PadId);
        model.Dispose();
        Console.WriteLine($"default job's data: {train.Count} training examples; {batches.Count} batches of {args.PerDeviceTrainBatchSize} (1 warm-up + {steps} timed), " +
            $"mean width {batches.Average(b => b.Width):0.0} tokens; {threads} threads; malloc tuning {(tuned ? "on" : "off")}; files in {work}");

        using var py = Process.Start(new ProcessStartInfo(python, [script, "--model", start, "--batches", Path.Combine(work, "batches.json"), "--threads", threads.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException($"cannot start {python}");
        string Ask(string command)
        {
            if (command.Length > 0) py.StandardInput.WriteLine(command);
            return py.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"{python} {script} exited (code {(py.WaitForExit(5000) ? py.ExitCode : -1)})");
        }
        Console.WriteLine($"python: {Ask("")}");
        Console.WriteLine($"same model check, eval-mode logits on batch 0: {Ask("check")} (PyTorch - ours)");

        var ours = new List<double[]>();
        var theirs = new List<double[]>();
        for (int r = 0; r < runs; r++)
        {
            bool oursFirst = r % 4 is 0 or 3; // ABBA
            for (int k = 0; k < 2; k++)
            {
                if ((k == 0) == oursFirst) ours.Add(OurRound(start, train, args));
                else theirs.Add(Parse(Ask("run")));
            }
            Console.WriteLine($"round {r + 1}: ours {ours[^1][0]:0.00} samples/s, PyTorch {theirs[^1][0]:0.00} samples/s");
        }
        py.StandardInput.WriteLine("quit"); // no reply: it exits
        py.WaitForExit();

        double M(List<double[]> rows, int i) => BenchmarkSupport.Median(rows.Select(x => x[i]));
        Console.WriteLine();
        Console.WriteLine($"{"trainer (batch 8, " + threads + " threads, " + steps + " steps x " + runs + " runs, medians)",-58} {"samples/s",10} {"fwd ms",8} {"bwd ms",8} {"optim ms",8}");
        Console.WriteLine($"{"FineTune Trainer (TorchSharp 0.107, libtorch 2.10)",-58} {M(ours, 0),10:0.00} {M(ours, 1),8:0.0} {M(ours, 2),8:0.0} {M(ours, 3),8:0.0}");
        Console.WriteLine($"{"PyTorch eager (" + python + ")",-58} {M(theirs, 0),10:0.00} {M(theirs, 1),8:0.0} {M(theirs, 2),8:0.0} {M(theirs, 3),8:0.0}");
        var ratios = ours.Zip(theirs, (a, b) => a[0] / b[0]).ToList();
        Console.WriteLine($"ratio ours / PyTorch: {M(ours, 0) / M(theirs, 0):0.00}x (median of the per-round ratios {BenchmarkSupport.Median(ratios):0.00}x)");
        Directory.Delete(work, recursive: true);
    }

    /// <summary>The warm-up + N batches our Trainer takes first (epoch 0 of the default plan), with our eval-mode logits on batch 0.</summary>
    static List<Batch> DumpBatches(string path, SequenceClassifier model, TokenizedDataset train, TrainingArguments args, int padId)
    {
        var windows = new InMemoryShards(train, null, 0, 1, args).Epoch(0).Windows.Take(args.MaxSteps).ToList();
        var batches = windows.Select(w => Batching.Collate(train, w.MicroBatches.Single(), args.Padding, args.MaxLength, padId)).ToList();
        JsonArray Rows(long[] flat, int width) => new(flat.Chunk(width).Select(r => (JsonNode)new JsonArray(r.Select(v => (JsonNode)v).ToArray())).ToArray());
        var json = new JsonArray(batches.Select(b => (JsonNode)new JsonObject
        {
            ["input_ids"] = Rows(b.InputIds, b.Width),
            ["attention_mask"] = Rows(b.AttentionMask, b.Width),
            ["token_type_ids"] = Rows(b.TokenTypeIds, b.Width),
            ["labels"] = new JsonArray(b.Labels.Select(v => (JsonNode)v).ToArray()),
        }).ToArray());
        float[] logits;
        using (NewDisposeScope())
        using (no_grad())
        {
            model.eval();
            var b = batches[0];
            var output = model.call(tensor(b.InputIds, [b.Size, b.Width]), tensor(b.AttentionMask, [b.Size, b.Width]), tensor(b.TokenTypeIds, [b.Size, b.Width]));
            logits = output.contiguous().data<float>().ToArray();
        }
        int labels = logits.Length / batches[0].Size;
        var logits0 = new JsonArray(logits.Chunk(labels).Select(r => (JsonNode)new JsonArray(r.Select(v => (JsonNode)v).ToArray())).ToArray());
        File.WriteAllText(path, new JsonObject { ["batches"] = json, ["logits0"] = logits0 }.ToJsonString());
        return batches;
    }

    /// <summary>Samples/s over the steps after the first, and mean forward, backward and optimizer ms per step.</summary>
    static double[] OurRound(string start, TokenizedDataset train, TrainingArguments args)
    {
        var (model, _) = PretrainedModel.Load(start);
        using var single = new SingleProcess();
        var timer = new StepClock();
        new Trainer(args, model, BertTokenizer.FromFolder(start), train, null, single, timer).Train();
        model.Dispose();
        var timed = timer.Steps.Skip(1).ToList();
        double seconds = timer.Ends[^1] - timer.Ends[0];
        return [timed.Sum(s => s.Samples) / seconds, 1000 * timed.Average(s => s.Timings.Forward),
            1000 * timed.Average(s => s.Timings.Backward), 1000 * timed.Average(s => s.Timings.Optimizer)];
    }

    static double[] Parse(string line)
    {
        // "rate R forward_ms F backward_ms B optimizer_ms O"
        var parts = line.Split(' ');
        if (parts.Length != 8 || parts[0] != "rate") throw new InvalidOperationException($"unexpected reply from Python: {line}");
        return [.. new[] { 1, 3, 5, 7 }.Select(i => double.Parse(parts[i], CultureInfo.InvariantCulture))];
    }

    sealed class StepClock : ITrainerObserver
    {
        readonly Stopwatch clock = Stopwatch.StartNew();
        public List<StepInfo> Steps { get; } = [];
        public List<double> Ends { get; } = [];

        public void OnStep(StepInfo step)
        {
            Ends.Add(clock.Elapsed.TotalSeconds);
            Steps.Add(step);
        }
    }
}
