using System.Diagnostics;
using System.Globalization;
using FineTune.Core.Sweeps;

/// <summary>
/// `sweep-samplers`: TPE against random search on synthetic objectives shaped like a fine-tune's eval accuracy (or loss)
/// over learning rate (log scale), batch size and warmup ratio, with evaluation noise. Each objective runs --trials
/// trials for each of --seeds seeds with both samplers, trial by trial (each outcome is known before the next trial is
/// sampled, as with one trial at a time); the noise of trial i under seed s is the same for both samplers, so seeds pair.
/// Prints per objective the median over seeds of the best value seen, the median of the noise-free value of the trial
/// picked as best, on how many seeds TPE's best beat random's and on how many they were equal; then whether TPE ships (its median is better and it
/// wins on most seeds, on every objective).
/// </summary>
static class SweepSamplerBenchmark
{
    static readonly SearchDimension[] Space =
    [
        new("learning_rate", Distribution.LogUniform, 1e-5, 3e-4, []),
        new("per_device_train_batch_size", Distribution.Choice, 0, 0, ["8", "16", "32"]),
        new("warmup_ratio", Distribution.Uniform, 0, 0.2, []),
    ];

    /// <summary>A surface: its name, whether greater is better, the noise-free value of (lr, batch, warmup), the noise's sigma.</summary>
    sealed record Objective(string Name, bool GreaterIsBetter, Func<double, int, double, double> Value, double Noise);

    static readonly Objective[] Objectives =
    [
        // One smooth optimum: learning rate 6e-5, small batches slightly better, a little warmup helps.
        new("bowl (eval_accuracy)", true, (lr, batch, warmup) =>
            0.92 - 0.12 * Square(Math.Log10(lr / 6e-5)) - batch switch { 8 => 0, 16 => 0.004, _ => 0.012 } - 0.3 * Square(warmup - 0.06), 0.004),
        // The best learning rate scales with the batch (2e-5 per 8 examples); large rates without warmup diverge to chance.
        new("coupled, diverging (eval_accuracy)", true, (lr, batch, warmup) =>
            lr > 1.5e-4 && warmup < 0.05 ? 0.5 : 0.9 - 0.08 * Square(Math.Log10(lr / (2e-5 * batch / 8))) - 0.1 * Square(warmup - 0.1), 0.006),
        // A loss to minimise: a narrow valley at 1e-4 with a shelf below 2e-5 (too little training).
        new("valley (eval_loss)", false, (lr, batch, warmup) =>
            (lr < 2e-5 ? 0.45 : 0.25 + 0.3 * Square(Math.Log10(lr / 1e-4))) + (batch == 32 ? 0.02 : 0) + 0.5 * Square(warmup - 0.05), 0.01),
    ];

    static double Square(double x) => x * x;

    public static void Run(string[] args)
    {
        var trials = Option(args, "--trials", 50);
        var seeds = Option(args, "--seeds", 20);
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"sweep samplers: {trials} trials x {seeds} seeds per objective and sampler; space learning_rate loguniform [1e-5, 3e-4], per_device_train_batch_size choice [8, 16, 32], warmup_ratio uniform [0, 0.2]");
        Console.WriteLine($"{"objective",-36} {"random best",12} {"TPE best",12} {"random pick",12} {"TPE pick",12} {"TPE wins",10} {"ties",5}");
        var ships = true;
        foreach (var objective in Objectives)
        {
            var random = new List<(double Best, double Pick)>();
            var tpe = new List<(double Best, double Pick)>();
            for (int seed = 1; seed <= seeds; seed++)
            {
                random.Add(Sweep(new RandomSampler(Space, seed), objective, seed, trials));
                tpe.Add(Sweep(new TpeSampler(Space, seed, objective.GreaterIsBetter), objective, seed, trials));
            }
            var wins = Enumerable.Range(0, seeds).Count(i => Better(objective, tpe[i].Best, random[i].Best));
            // Equal bests happen when both keep a best from the first 10 trials, which the two samplers share.
            var ties = Enumerable.Range(0, seeds).Count(i => tpe[i].Best == random[i].Best);
            var (randomMedian, tpeMedian) = (Median(random.Select(r => r.Best)), Median(tpe.Select(r => r.Best)));
            ships &= Better(objective, tpeMedian, randomMedian) && wins * 2 > seeds;
            Console.WriteLine($"{objective.Name,-36} {randomMedian,12:F4} {tpeMedian,12:F4} {Median(random.Select(r => r.Pick)),12:F4} {Median(tpe.Select(r => r.Pick)),12:F4} {$"{wins} of {seeds}",10} {ties,5}");
        }
        Console.WriteLine("best: the median over seeds of the best value seen in the trials; pick: the median noise-free value of the trial picked as best");
        Console.WriteLine($"TPE ships: {(ships ? "yes" : "no")} (needs a better median and wins on most seeds, on every objective); {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>One sweep, trial by trial: the best value seen and the noise-free value of the trial that had it.</summary>
    static (double Best, double Pick) Sweep(ISampler sampler, Objective objective, int seed, int trials)
    {
        var outcomes = new List<TrialOutcome>();
        var (best, pick) = (double.NaN, double.NaN);
        for (int i = 0; i < trials; i++)
        {
            var config = sampler.Next(i, outcomes);
            var truth = objective.Value(Number(config, "learning_rate"), (int)Number(config, "per_device_train_batch_size"), Number(config, "warmup_ratio"));
            var seen = truth + objective.Noise * Gaussian(seed, i);
            outcomes.Add(new TrialOutcome(i, config, seen, 1, StoppedEarly: false));
            if (double.IsNaN(best) || Better(objective, seen, best)) (best, pick) = (seen, truth);
        }
        return (best, pick);
    }

    static bool Better(Objective objective, double a, double b) => objective.GreaterIsBetter ? a > b : a < b;

    static double Number(TrialConfig config, string key) => double.Parse(config[key]!, CultureInfo.InvariantCulture);

    /// <summary>Trial <paramref name="trial"/>'s evaluation noise under <paramref name="seed"/> (Box-Muller), the same for both samplers.</summary>
    static double Gaussian(int seed, int trial)
    {
        var random = new SweepRandom(seed, trial, stream: 1000);
        return Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
