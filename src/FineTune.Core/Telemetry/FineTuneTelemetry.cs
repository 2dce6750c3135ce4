using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FineTune.Core.Telemetry;

/// <summary>
/// The "FineTune" meter and activity source (docs/telemetry.md): BCL types only, so Core stays free
/// of ASP.NET and OpenTelemetry; the services' OpenTelemetry setup subscribes to this name and exports over OTLP.
/// Instruments cost next to nothing while nobody listens. A CUDA worker's GPU instruments live in <see cref="GpuTelemetry"/>.
/// </summary>
public static class FineTuneTelemetry
{
    public const string Name = "FineTune";

    // Attribute names carried by every measurement and span of a job.
    public const string JobId = "finetune.job.id";
    public const string Rank = "finetune.rank";
    public const string Worker = "finetune.worker";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Gauge<double> Loss = Meter.CreateGauge<double>("finetune.train.loss", description: "training loss of the last optimizer step");
    public static readonly Gauge<double> LearningRate = Meter.CreateGauge<double>("finetune.train.learning_rate", description: "learning rate of the last optimizer step");
    public static readonly Gauge<double> GradNorm = Meter.CreateGauge<double>("finetune.train.grad_norm", description: "global gradient norm before clipping");
    public static readonly Counter<long> Samples = Meter.CreateCounter<long>("finetune.train.samples", "{sample}", "training examples processed by this rank");
    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>("finetune.train.tokens", "{token}", "real (unpadded) tokens processed by this rank");
    public static readonly Histogram<double> StepDuration = Seconds("finetune.train.step.duration", "one optimizer step, all parts");
    public static readonly Histogram<double> DataWaitDuration = Seconds("finetune.train.data_wait.duration", "collating a step's batches");
    public static readonly Histogram<double> ForwardDuration = Seconds("finetune.train.forward.duration", "a step's forward passes");
    public static readonly Histogram<double> BackwardDuration = Seconds("finetune.train.backward.duration", "a step's backward passes");
    public static readonly Histogram<double> AllReduceDuration = Seconds("finetune.train.allreduce.duration", "a step's gradient all-reduce");
    public static readonly Histogram<double> OptimizerDuration = Seconds("finetune.train.optimizer.duration", "clipping, AdamW and the schedule");
    public static readonly Counter<long> AllReduceBytes = Meter.CreateCounter<long>("finetune.allreduce.bytes", "By", "bytes this rank sent in gradient all-reduces");
    public static readonly Gauge<double> EvalAccuracy = Meter.CreateGauge<double>("finetune.eval.accuracy", description: "accuracy of the last evaluation");
    public static readonly Histogram<double> CheckpointDuration = Seconds("finetune.checkpoint.duration", "writing one checkpoint");

    static Histogram<double> Seconds(string name, string description) => Meter.CreateHistogram<double>(name, "s", description);

    /// <summary>
    /// Starts a span as a child of the current one, copying its finetune.* attributes (job id, rank, worker), so the
    /// Trainer's epoch/evaluation/checkpoint spans carry them without the Trainer knowing the job. Null when nobody listens.
    /// </summary>
    public static Activity? StartSpan(string name)
    {
        var parent = Activity.Current;
        var span = Source.StartActivity(name);
        if (span is not null && parent is not null)
            foreach (var (key, value) in parent.TagObjects)
                if (key.StartsWith("finetune.", StringComparison.Ordinal)) span.SetTag(key, value);
        return span;
    }

    /// <summary>
    /// A zero-length child span of the current one ("rank 0 started", "epoch 2 started"), with its finetune.*
    /// attributes and one more. A span is exported only when it ends, and rank and epoch spans end with their work:
    /// this one ends at once, so a running job's trace shows what runs now (docs/telemetry.md, "A running job").
    /// </summary>
    public static void Mark(string name, string key, object? value)
    {
        var current = Activity.Current; // the long span stays current for the work that follows
        using (var span = StartSpan(name)) span?.SetTag(key, value);
        Activity.Current = current;
    }
}
