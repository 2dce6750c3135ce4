using System.Diagnostics;
using System.Globalization;
using FineTune.Core.Data;
using FineTune.Core.Modeling.Pretrained;

/// <summary>
/// Data-parallel scaling efficiency of the real Trainer: samples/s of N workers x 1 thread (N processes joined by the
/// ring, over Unix sockets since they share a host; real gradients, a real all-reduce of the flat gradient buffer every
/// step) divided by N x the samples/s of one worker x 1 thread (world size 1, same per-device batch). Every configuration runs as separate child processes
/// (the baseline too, so all pay the same process costs); the configurations rotate round by round so all see the
/// same machine load, and the table gives medians.
/// Configurations: the world-1 baseline; N workers with one all-reduce after backward; N workers with the all-reduce
/// overlapped with backward (GradientBuckets); N workers with the all-reduce switched off, the ceiling that sharing the
/// machine leaves (on 2 cores two workers slow each other's compute even without a ring). Model: --model mini
/// (bert-mini size, random init) or default (the default model). Data: review-length paragraphs (6-12 Yelp sentences
/// of one label joined, as `train` builds them), tokenized with the default model's tokenizer, max length 128, dynamic padding.
/// Each child times `steps` optimizer steps after `warmup` steps, from the end of the last warm-up step to the end of
/// the last step (wall clock, through ITrainerObserver.OnStep), and reports its samples, time and per-step timings.
/// </summary>
static class ScalingBenchmark
{
    public static void Run(string[] args)
    {
        var o = new BenchmarkOptions(args);
        if (o.Has("--rank")) ScalingWorker.Run(o);
        else Orchestrate(o);
    }

    /// <summary>The configurations, by name: what each child gets besides rank, world and the common options.</summary>
    static readonly (string Name, string Label, bool Ring, string Extra)[] Configurations =
    [
        ("single", "1 worker, world 1", false, ""),
        ("plain", "{0} workers, ring, one all-reduce", true, "--overlap 0"),
        ("overlap", "{0} workers, ring, overlapped buckets", true, "--overlap 1"),
        ("ceiling", "{0} workers, all-reduce off (ceiling)", true, "--no-allreduce"),
    ];

    static void Orchestrate(BenchmarkOptions o)
    {
        int runs = o.Int("--runs", 3), steps = o.Int("--steps", 20), warmup = o.Int("--warmup", 2);
        int batch = o.Int("--batch", 8), threads = o.Int("--threads", 1), world = o.Int("--world", 2);
        string modelName = o.Has("--model") ? o.String("--model") : "mini";
        var names = o.Has("--configs") ? o.String("--configs").Split(',') : Configurations.Select(c => c.Name).ToArray();
        var configs = Configurations.Where(c => names.Contains(c.Name)).ToArray();
        if (!configs.Any(c => c.Name == "single")) throw new ArgumentException("--configs must include single (the baseline)");
        // A run during which other processes kept more than this many cores busy is run again (at most --retries times).
        double maxOther = o.Double("--max-other", 0.25);
        int retries = o.Int("--retries", 3), disturbed = 0;
        // Fetch the model folder and the dataset into the cache once, here, so the children do not race to do it.
        DefaultModel.EnsureFolder();
        DefaultDataset.EnsureFile();
        var common = $"--steps {steps} --warmup {warmup} --batch {batch} --threads {threads} --model {modelName}";
        Console.WriteLine($"scaling: model {modelName} ({(modelName == "mini" ? "bert-mini size 256/4L/4H, random init" : "all-MiniLM-L6-v2 384/6L/12H, real weights")}), " +
            $"review paragraphs (max length 128, dynamic padding), per-device batch {batch}, {threads} TorchSharp thread(s) per process, " +
            $"{steps} timed steps after {warmup} warm-up, {runs} rounds of [{string.Join(", ", configs.Select(c => c.Name))}] in rotating order; {Environment.ProcessorCount} cores");

        var results = configs.ToDictionary(c => c.Name, _ => new List<Result>());
        for (int r = 0; r < runs; r++)
        {
            // Each round starts at the next configuration, so none always runs first (or right after another).
            foreach (var c in configs.Skip(r % configs.Length).Concat(configs.Take(r % configs.Length)))
            {
                var token = $"bench-{Guid.NewGuid():N}";
                var children = c.Ring
                    ? Enumerable.Range(0, world).Select(k => $"--rank {k} --world {world} --token {token} {common} {c.Extra}").ToArray()
                    : [$"--rank 0 --world 1 --token {token} {common}"];
                for (int attempt = 0; ; attempt++)
                {
                    var result = Launch(children);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  run {r + 1}, {c.Name,-8}: {result.SamplesPerSecond,6:F2} samples/s, step {result.StepSeconds * 1e3,4:F0} ms " +
                        $"(fwd+bwd {result.ComputeSeconds * 1e3,4:F0}, all-reduce {result.AllReduceSeconds * 1e3,3:F0} = {result.AllReduceShare,5:P1}, clip+AdamW {result.OptimizerSeconds * 1e3,3:F0}); " +
                        $"other processes {result.OtherCores:F2} cores"));
                    if (result.OtherCores > maxOther && attempt < retries)
                    {
                        Console.WriteLine($"    disturbed (more than {maxOther} cores used by others): again");
                        continue;
                    }
                    if (result.OtherCores > maxOther) disturbed++;
                    results[c.Name].Add(result);
                    break;
                }
            }
        }

        double Median(string name) => BenchmarkSupport.Median(results[name].Select(x => x.SamplesPerSecond));
        double baseline = Median("single");
        Console.WriteLine();
        Console.WriteLine($"{"configuration (medians)",-44} {"samples/s",9} {"step ms",7} {"fwd+bwd ms",10} {"all-reduce ms",13} {"share",6} {"optim ms",8} {"efficiency",10} {"of ceiling",10}  runs (samples/s)");
        foreach (var c in configs)
        {
            var rs = results[c.Name];
            double s = Median(c.Name), scale = c.Ring ? world : 1;
            string ofCeiling = results.ContainsKey("ceiling") && c.Ring ? (s / Median("ceiling")).ToString("F3", CultureInfo.InvariantCulture) : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{string.Format(CultureInfo.InvariantCulture, c.Label, world),-44} {s,9:F2} {BenchmarkSupport.Median(rs.Select(x => x.StepSeconds)) * 1e3,7:F0} " +
                $"{BenchmarkSupport.Median(rs.Select(x => x.ComputeSeconds)) * 1e3,10:F0} {BenchmarkSupport.Median(rs.Select(x => x.AllReduceSeconds)) * 1e3,13:F0} " +
                $"{BenchmarkSupport.Median(rs.Select(x => x.AllReduceShare)),6:P1} {BenchmarkSupport.Median(rs.Select(x => x.OptimizerSeconds)) * 1e3,8:F0} " +
                $"{s / (scale * baseline),10:F3} {ofCeiling,10}  {string.Join(", ", rs.Select(x => x.SamplesPerSecond.ToString("F2", CultureInfo.InvariantCulture)))}"));
        }
        Console.WriteLine($"efficiency = samples/s / ({world} x the world-1 baseline's); of ceiling = samples/s / the all-reduce-off configuration's (target >= 0.97)");
        if (results.ContainsKey("ceiling"))
            foreach (var name in new[] { "plain", "overlap" }.Where(results.ContainsKey))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: per-round fraction of the ceiling (same round): {string.Join(", ", results[name].Zip(results["ceiling"], (x, y) => (x.SamplesPerSecond / y.SamplesPerSecond).ToString("F3", CultureInfo.InvariantCulture)))}"));
        if (disturbed > 0) Console.WriteLine($"warning: {disturbed} run(s) kept although other processes used more than {maxOther} cores during them");
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
}
