using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Modeling.Bert;
using FineTune.Core.Modeling.Pretrained;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;
using FineTune.Core.Arguments;
using static TorchSharp.torch;

/// <summary>
/// Data-parallel scaling efficiency of the real Trainer: samples/s of N workers x 1 thread (N processes joined by the
/// TCP ring, real gradients, a real all-reduce of the flat gradient buffer every step) divided by N x the samples/s of
/// one worker x 1 thread (world size 1, same per-device batch). Every configuration runs as separate child processes
/// (the baseline too, so both pay the same process costs); the baseline and the N-rank job alternate run by run
/// (ABBA order) so both see the same machine load, and the table gives medians.
/// Model: bert-mini size (hidden 256, 4 layers, 4 heads, intermediate 1024, vocab 30522), random init from a fixed
/// seed, 2 labels. Data: review-length paragraphs (6-12 Yelp sentences of one label joined, as `train` builds them),
/// tokenized with the default model's tokenizer, max length 128, dynamic padding.
/// Each child times `steps` optimizer steps after `warmup` steps, from the end of the last warm-up step to the end of
/// the last step (wall clock, through ITrainerObserver.OnStep), and reports its samples, time and per-step timings.
/// </summary>
static class ScalingBenchmark
{
    public static void Run(string[] args)
    {
        var o = new BenchmarkOptions(args);
        if (o.Has("--rank")) RunRank(o);
        else Orchestrate(o);
    }

    static void Orchestrate(BenchmarkOptions o)
    {
        int runs = o.Int("--runs", 3), steps = o.Int("--steps", 20), warmup = o.Int("--warmup", 2);
        int batch = o.Int("--batch", 8), threads = o.Int("--threads", 1), world = o.Int("--world", 2);
        bool contention = o.Has("--contention");
        // A run during which other processes kept more than this many cores busy is run again (at most --retries times).
        double maxOther = o.Double("--max-other", 0.25);
        int retries = o.Int("--retries", 3), disturbed = 0;
        // Fetch the model folder and the dataset into the cache once, here, so the children do not race to do it.
        DefaultModel.EnsureFolder();
        DefaultDataset.EnsureFile();
        var common = $"--steps {steps} --warmup {warmup} --batch {batch} --threads {threads}";
        Console.WriteLine($"scaling: bert-mini size (256/4L/4H, random init), review paragraphs (max length 128, dynamic padding), " +
            $"per-device batch {batch}, {threads} TorchSharp thread(s) per process, {steps} timed steps after {warmup} warm-up, " +
            $"{runs} runs per configuration, alternating; {Environment.ProcessorCount} cores");

        var single = new List<Result>();
        var multi = new List<Result>();
        var independent = new List<Result>();
        for (int r = 0; r < runs; r++)
        {
            // ABBA: the baseline goes first in even rounds, second in odd ones; the contention control (N world-1
            // processes at once, no ring) goes last, and only with --contention.
            var order = r % 2 == 0 ? new[] { "single", "ring" } : ["ring", "single"];
            if (contention) order = [.. order, "independent"];
            foreach (var kind in order)
            {
                var token = $"bench-{Guid.NewGuid():N}";
                var children = kind switch
                {
                    "single" => [$"--rank 0 --world 1 --token {token} {common}"],
                    "ring" => Enumerable.Range(0, world).Select(k => $"--rank {k} --world {world} --token {token} {common}").ToArray(),
                    _ => Enumerable.Range(0, world).Select(_ => $"--rank 0 --world 1 --token {token} {common}").ToArray(),
                };
                for (int attempt = 0; ; attempt++)
                {
                    var result = Launch(children);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  run {r + 1}, {kind,-11}: {result.SamplesPerSecond,6:F2} samples/s, step {result.StepSeconds * 1e3,4:F0} ms " +
                        $"(fwd+bwd {result.ComputeSeconds * 1e3,4:F0}, all-reduce {result.AllReduceSeconds * 1e3,3:F0} = {result.AllReduceShare,5:P1}, clip+AdamW {result.OptimizerSeconds * 1e3,3:F0}); " +
                        $"other processes {result.OtherCores:F2} cores"));
                    if (result.OtherCores > maxOther && attempt < retries)
                    {
                        Console.WriteLine($"    disturbed (more than {maxOther} cores used by others): again");
                        continue;
                    }
                    if (result.OtherCores > maxOther) disturbed++;
                    (kind == "single" ? single : kind == "ring" ? multi : independent).Add(result);
                    break;
                }
            }
        }

        double baseline = BenchmarkSupport.Median(single.Select(x => x.SamplesPerSecond)), scaled = BenchmarkSupport.Median(multi.Select(x => x.SamplesPerSecond));
        double efficiency = scaled / (world * baseline);
        Console.WriteLine();
        Console.WriteLine($"{"configuration (medians)",-40} {"samples/s",9} {"step ms",7} {"fwd+bwd ms",10} {"all-reduce ms",13} {"share",6} {"optim ms",8}  runs (samples/s)");
        Row($"1 worker x {threads} thread, world 1", single);
        Row($"{world} workers x {threads} thread, TCP ring", multi);
        if (contention) Row($"{world} x (1 worker, world 1) at once, no ring", independent);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scaling efficiency: {scaled:F2} / ({world} x {baseline:F2}) = {efficiency:F3} (target >= 0.85); speedup {scaled / baseline:F2}x on {world} workers"));
        if (disturbed > 0) Console.WriteLine($"warning: {disturbed} run(s) kept although other processes used more than {maxOther} cores during them");
        if (contention)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"contention ceiling (no ring): {BenchmarkSupport.Median(independent.Select(x => x.SamplesPerSecond)):F2} / ({world} x {baseline:F2}) = {BenchmarkSupport.Median(independent.Select(x => x.SamplesPerSecond)) / (world * baseline):F3}"));

        static void Row(string name, List<Result> results) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-40} {BenchmarkSupport.Median(results.Select(x => x.SamplesPerSecond)),9:F2} {BenchmarkSupport.Median(results.Select(x => x.StepSeconds)) * 1e3,7:F0} " +
            $"{BenchmarkSupport.Median(results.Select(x => x.ComputeSeconds)) * 1e3,10:F0} {BenchmarkSupport.Median(results.Select(x => x.AllReduceSeconds)) * 1e3,13:F0} " +
            $"{BenchmarkSupport.Median(results.Select(x => x.AllReduceShare)),6:P1} {BenchmarkSupport.Median(results.Select(x => x.OptimizerSeconds)) * 1e3,8:F0}  " +
            $"{string.Join(", ", results.Select(x => x.SamplesPerSecond.ToString("F2", CultureInfo.InvariantCulture)))}"));
    }

    /// <summary>
    /// One run's figures: global samples/s; rank 0's medians over the timed steps of the step time, forward+backward
    /// (with collation), all-reduce, clipping+AdamW, and of the all-reduce's share of each step.
    /// OtherCores: the CPU time that processes other than this benchmark's used during the run, over its wall time
    /// (from /proc/stat; 0 where that file is missing).
    /// </summary>
    sealed record Result(double SamplesPerSecond, double StepSeconds, double AllReduceShare, double ComputeSeconds, double AllReduceSeconds, double OptimizerSeconds,
        double OtherCores);

    /// <summary>
    /// Global throughput: every rank's samples over the slowest rank's timed window (the ranks finish each step together,
    /// the all-reduce sees to that); step time and all-reduce share come from rank 0.
    /// </summary>
    static Result Combine(List<string[]> ranks, double otherCores)
    {
        double samples = ranks.Sum(p => double.Parse(p[2], CultureInfo.InvariantCulture));
        double seconds = ranks.Max(p => double.Parse(p[3], CultureInfo.InvariantCulture));
        double At(int i) => double.Parse(ranks[0][i], CultureInfo.InvariantCulture);
        return new Result(samples / seconds, At(4), At(5), At(6), At(7), At(8), otherCores);
    }

    /// <summary>
    /// Starts one child per argument list (this program again, `scaling ...`), hands them every rank's endpoint on
    /// standard input, waits for all and combines their RESULT lines (in rank order). The machine's busy CPU time over
    /// the run, less the children's and this process's own, tells how much else ran meanwhile.
    /// </summary>
    static Result Launch(string[] children)
    {
        double busyBefore = MachineBusySeconds(), selfBefore = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var clock = Stopwatch.StartNew();
        var processes = children.Select(a =>
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
            // Under `dotnet FineTune.Benchmarks.dll` the process is the host: name the assembly again.
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(ScalingBenchmark).Assembly.Location);
            start.ArgumentList.Add("scaling");
            foreach (var part in a.Split(' ', StringSplitOptions.RemoveEmptyEntries)) start.ArgumentList.Add(part);
            return Process.Start(start)!;
        }).ToList();
        try
        {
            var endpoints = processes.Select(p => "127.0.0.1:" + (p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("a child exited before listening")).Split(' ')[1]).ToList();
            foreach (var p in processes)
            {
                p.StandardInput.WriteLine(string.Join(',', endpoints));
                p.StandardInput.Flush();
            }
            // Each child prints a line or two: reading them to the end one child after another cannot fill a pipe.
            var results = processes.Select(p =>
            {
                string? line, result = null;
                while ((line = p.StandardOutput.ReadLine()) is not null) if (line.StartsWith("RESULT ", StringComparison.Ordinal)) result = line;
                p.WaitForExit();
                if (p.ExitCode != 0 || result is null) throw new InvalidOperationException($"a benchmark child exited with code {p.ExitCode}");
                return result.Split(' ');
            }).ToList();
            double wall = clock.Elapsed.TotalSeconds;
            double ours = results.Sum(p => double.Parse(p[9], CultureInfo.InvariantCulture)) + Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - selfBefore;
            double other = File.Exists("/proc/stat") ? Math.Max(0, MachineBusySeconds() - busyBefore - ours) / wall : 0;
            return Combine(results, other);
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited) p.Kill();
                p.Dispose();
            }
        }
    }

    /// <summary>CPU seconds all cores spent busy since boot (user, nice, system, irq, softirq; USER_HZ = 100), from /proc/stat.</summary>
    static double MachineBusySeconds()
    {
        if (!File.Exists("/proc/stat")) return 0;
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new[] { 1, 2, 3, 6, 7 }.Sum(i => long.Parse(f[i], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>One worker: build the data and the model, listen, learn the endpoints, form the ring (or not), train, report.</summary>
    static void RunRank(BenchmarkOptions o)
    {
        int threads = o.Int("--threads", 1), rank = o.Int("--rank", 0), world = o.Int("--world", 1);
        int steps = o.Int("--steps", 20), warmup = o.Int("--warmup", 2), batch = o.Int("--batch", 8);
        set_num_threads(threads);

        var tokenizer = BertTokenizer.FromFolder(DefaultModel.EnsureFolder());
        var data = TokenizedDataset.Build(BenchmarkSupport.Paragraphs(400), tokenizer, 128);
        var config = BertConfig.Create(vocabSize: 30522, hiddenSize: 256, layers: 4, heads: 4, intermediateSize: 1024, maxPositions: 512, labels: ["0", "1"]);
        var model = PretrainedModel.CreateRandom(config, 42); // the same seed on every rank: identical starting weights
        var outputDir = Path.Combine(Path.GetTempPath(), $"finetune-bench-scaling-{Guid.NewGuid():N}");
        Directory.CreateDirectory(outputDir);

        using var listener = RingCollective.Listen("127.0.0.1:0");
        Console.WriteLine($"PORT {((IPEndPoint)listener.LocalEndPoint!).Port}");
        Console.Out.Flush();
        var endpoints = Console.ReadLine()!.Split(',');
        using ICollective collective = world == 1
            ? new SingleProcess()
            : RingCollective.Create(new RingOptions { Rank = rank, Endpoints = endpoints, Token = o.String("--token"), Timeout = TimeSpan.FromMinutes(2) }, listener);
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
