using System.Diagnostics;
using System.Globalization;
using System.Net;
using FineTune.Core.Arguments;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Modeling.Bert;
using FineTune.Core.Modeling.Pretrained;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;
using static TorchSharp.torch;

/// <summary>
/// One child of the scaling benchmark (`scaling --rank r --world n ...`): builds the data and the model, listens,
/// learns every rank's endpoint on standard input, forms the ring (or not), trains with the real Trainer, prints RESULT.
/// --overlap 0|1 sets FINETUNE_OVERLAP_ALLREDUCE for its Trainer; --no-allreduce keeps the ring (broadcasts, barriers)
/// but makes the gradient all-reduce a no-op: the ceiling configuration.
/// </summary>
static class ScalingWorker
{
    public static void Run(BenchmarkOptions o)
    {
        int threads = o.Int("--threads", 1), rank = o.Int("--rank", 0), world = o.Int("--world", 1);
        int steps = o.Int("--steps", 20), warmup = o.Int("--warmup", 2), batch = o.Int("--batch", 8);
        set_num_threads(threads);
        if (o.Has("--overlap")) Environment.SetEnvironmentVariable(GradientBuckets.Variable, o.String("--overlap"));

        var tokenizer = BertTokenizer.FromFolder(DefaultModel.EnsureFolder());
        var data = TokenizedDataset.Build(BenchmarkSupport.Paragraphs(400), tokenizer, 128);
        var model = Model(o.Has("--model") ? o.String("--model") : "mini"); // the same seed on every rank: identical starting weights
        var outputDir = Path.Combine(Path.GetTempPath(), $"finetune-bench-scaling-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outputDir);

        using var listener = RingCollective.Listen("127.0.0.1:0");
        Console.WriteLine($"PORT {((IPEndPoint)listener.LocalEndPoint!).Port}");
        Console.Out.Flush();
        var endpoints = Console.ReadLine()!.Split(',');
        ICollective ring = world == 1
            ? new SingleProcess()
            : RingCollective.Create(new RingOptions { Rank = rank, Endpoints = endpoints, Token = o.String("--token"), Timeout = TimeSpan.FromMinutes(2) }, listener);
        using var collective = o.Has("--no-allreduce") ? new WithoutAllReduce(ring) : ring;
        try
        {
            var args = new TrainingArguments
            {
                OutputDir = outputDir,
                MaxSteps = warmup + steps,
                PerDeviceTrainBatchSize = batch,
                MaxLength = 128,
                Padding = Padding.Dynamic,
                EvalStrategy = "no",
                SaveStrategy = "no",
                LoggingSteps = 10,
                Seed = 42,
            };
            var timer = new StepTimer(warmup);
            new Trainer(args, model, tokenizer, data, null, collective, timer).Train();
            var timed = timer.Steps.Skip(warmup).ToList();
            double seconds = timer.End - timer.Start;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"RESULT {rank} {timed.Sum(s => s.Samples)} {seconds} {BenchmarkSupport.Median(timed.Select(s => s.Timings.Total))} {BenchmarkSupport.Median(timed.Select(s => s.Timings.AllReduce / s.Timings.Total))} " +
                $"{BenchmarkSupport.Median(timed.Select(s => s.Timings.DataWait + s.Timings.Forward + s.Timings.Backward))} {BenchmarkSupport.Median(timed.Select(s => s.Timings.AllReduce))} {BenchmarkSupport.Median(timed.Select(s => s.Timings.Optimizer))} " +
                $"{Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds}"));
        }
        finally
        {
            Directory.Delete(outputDir, recursive: true);
        }
    }

    /// <summary>
    /// "mini": bert-mini size (256/4L/4H, intermediate 1024, vocab 30522), random init from seed 42, ~11 M parameters.
    /// "default": the default model (all-MiniLM-L6-v2: 384/6L/12H, 22.7 M parameters) with its real weights.
    /// </summary>
    public static SequenceClassifier Model(string name) => name switch
    {
        "mini" => PretrainedModel.CreateRandom(BertConfig.Create(vocabSize: 30522, hiddenSize: 256, layers: 4, heads: 4, intermediateSize: 1024, maxPositions: 512, labels: ["0", "1"]), 42),
        "default" => PretrainedModel.Load(DefaultModel.EnsureFolder(), ["0", "1"], 42).Model,
        _ => throw new ArgumentException($"--model {name}: mini or default"),
    };

    /// <summary>The ring with its all-reduce switched off: broadcasts and barriers still go through it.</summary>
    sealed class WithoutAllReduce(ICollective inner) : ICollective
    {
        public int Rank => inner.Rank;
        public int WorldSize => inner.WorldSize;
        public void AllReduceSum(Tensor flat) { }
        public void Broadcast(Tensor flat, int root = 0) => inner.Broadcast(flat, root);
        public void Barrier() => inner.Barrier();
        public void Abort() => inner.Abort();
        public void Dispose() => inner.Dispose();
    }

    /// <summary>Wall-clock marks at the end of the last warm-up step and of the last step, and every step's info.</summary>
    sealed class StepTimer(int warmup) : ITrainerObserver
    {
        readonly Stopwatch clock = Stopwatch.StartNew();
        public List<StepInfo> Steps { get; } = [];
        public double Start { get; private set; }
        public double End { get; private set; }

        public void OnStep(StepInfo step)
        {
            Steps.Add(step);
            End = clock.Elapsed.TotalSeconds;
            if (Steps.Count == warmup) Start = End;
        }
    }
}
