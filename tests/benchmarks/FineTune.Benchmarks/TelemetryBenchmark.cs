using System.Diagnostics;
using System.Diagnostics.Metrics;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Modeling.Pretrained;
using FineTune.Core.Telemetry;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;
using FineTune.Core.Arguments;
using static TorchSharp.torch;

/// <summary>
/// What the training telemetry costs per optimizer step, against the median step itself (budget: under 1%).
/// 1. The TelemetryObserver's per-step work (14 measurements, a step span with its all-reduce child every 10th step)
///    with a MeterListener and an ActivityListener attached that keep every measurement and finished span, as an
///    OpenTelemetry exporter's aggregation and batch processor would; and with nobody listening.
/// 2. The median step time of the real Trainer on the default model, batch 8, the same observer attached.
/// </summary>
static class TelemetryBenchmark
{
    public static void Run(int runs, int steps, int threads)
    {
        const int calls = 100_000;
        var step = new StepInfo(10, 150, 0.2, 0.69, 5e-5, 1.2, 8, 220, new StepTimings(0.001, 0.4, 0.8, 0.05, 0.1, 1.35));
        var observer = new TelemetryObserver("job-bench", 0, "worker-0", 2, 90_000_000);

        double silent = PerCall(runs, calls, observer, step);
        using var listeners = new Listeners();
        double listened = PerCall(runs, calls, observer, step);
        Console.WriteLine($"instrumentation per step: {silent * 1e6:0.00} us with no listener, {listened * 1e6:0.00} us with listeners attached " +
            $"({listeners.Measurements:N0} measurements, {listeners.Spans:N0} spans kept)");

        set_num_threads(threads);
        var folder = DefaultModel.EnsureFolder();
        var tokenizer = BertTokenizer.FromFolder(folder);
        var data = TokenizedDataset.Build(BenchmarkSupport.Sentences(), tokenizer, 128);
        var (model, _) = PretrainedModel.Load(folder, ["0", "1"], 42);
        var timings = new StepTimes();
        using var single = new SingleProcess();
        var args = new TrainingArguments
        {
            OutputDir = Path.Combine(Path.GetTempPath(), "finetune-bench-telemetry"),
            MaxSteps = steps + 1,
            PerDeviceTrainBatchSize = 8,
            EvalStrategy = "no",
            SaveStrategy = "no",
            Seed = 42,
        };
        new Trainer(args, model, tokenizer, data, null, single, new ObserverGroup(observer, timings)).Train();
        double median = BenchmarkSupport.Median(timings.Totals.Skip(1)); // the first step warms up
        Console.WriteLine($"median training step (default model, batch 8, {threads} threads, {steps} steps): {median:0.000} s");
        Console.WriteLine($"telemetry cost per step / median step: {listened / median * 100:0.#####E+0}% (budget 1%)");
    }

    /// <summary>Seconds per OnStep call, the median of `runs` repetitions of `calls` calls (steps numbered so every 10th makes spans).</summary>
    static double PerCall(int runs, int calls, TelemetryObserver observer, StepInfo step)
    {
        var times = new List<double>();
        for (int r = 0; r < runs; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++) observer.OnStep(step with { Step = i + 2 });
            times.Add(clock.Elapsed.TotalSeconds / calls);
        }
        return BenchmarkSupport.Median(times);
    }

    sealed class StepTimes : ITrainerObserver
    {
        public List<double> Totals { get; } = [];
        public void OnStep(StepInfo step) => Totals.Add(step.Timings.Total);
    }

    /// <summary>Stand-ins for an exporter's listeners: every measurement aggregated, every finished span queued.</summary>
    sealed class Listeners : IDisposable
    {
        readonly MeterListener meters = new();
        readonly ActivityListener activities;
        readonly System.Collections.Concurrent.ConcurrentQueue<Activity> finished = new();
        long measurements, spans;
        double sum;

        public Listeners()
        {
            meters.InstrumentPublished = (instrument, listener) => { if (instrument.Meter.Name == FineTuneTelemetry.Name) listener.EnableMeasurementEvents(instrument); };
            meters.SetMeasurementEventCallback<double>((_, value, tags, _) => { measurements++; sum += value + tags.Length; });
            meters.SetMeasurementEventCallback<long>((_, value, tags, _) => { measurements++; sum += value + tags.Length; });
            meters.Start();
            activities = new ActivityListener
            {
                ShouldListenTo = source => source.Name == FineTuneTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a => { spans++; finished.Enqueue(a); if (finished.Count > 2048) finished.TryDequeue(out _); },
            };
            ActivitySource.AddActivityListener(activities);
        }

        public long Measurements => measurements;
        public long Spans => spans;

        public void Dispose()
        {
            meters.Dispose();
            activities.Dispose();
        }
    }
}
