using System.Diagnostics;
using FineTune.Core.Training;

namespace FineTune.Core.Telemetry;

/// <summary>
/// Records the Trainer's steps, evaluations and checkpoints as FineTune metrics, tagged with the job id, rank and
/// worker; every <see cref="SpanEvery"/>-th step also becomes a "step" span with its "allreduce" child, rebuilt from the
/// step's measured timings (the loop is not slowed by span bookkeeping on the other steps).
/// </summary>
public sealed class TelemetryObserver : ITrainerObserver
{
    readonly TagList tags;
    readonly long allReduceBytesPerStep;
    readonly KeyValuePair<string, object?>[] spanTags;

    /// <param name="gradientBytes">the flat gradient buffer's size; a ring rank sends 2(N-1)/N of it per all-reduce</param>
    public TelemetryObserver(string jobId, int rank, string worker, int worldSize, long gradientBytes, int spanEvery = 10)
    {
        tags = new TagList { { FineTuneTelemetry.JobId, jobId }, { FineTuneTelemetry.Rank, rank }, { FineTuneTelemetry.Worker, worker } };
        spanTags = [.. tags];
        allReduceBytesPerStep = worldSize > 1 ? 2 * (worldSize - 1) * gradientBytes / worldSize : 0;
        SpanEvery = Math.Max(1, spanEvery);
    }

    public int SpanEvery { get; }

    public void OnStep(StepInfo s)
    {
        var t = s.Timings;
        FineTuneTelemetry.Loss.Record(s.Loss, tags);
        FineTuneTelemetry.LearningRate.Record(s.LearningRate, tags);
        FineTuneTelemetry.GradNorm.Record(s.GradNorm, tags);
        FineTuneTelemetry.Samples.Add(s.Samples, tags);
        FineTuneTelemetry.Tokens.Add(s.Tokens, tags);
        FineTuneTelemetry.StepDuration.Record(t.Total, tags);
        FineTuneTelemetry.DataWaitDuration.Record(t.DataWait, tags);
        FineTuneTelemetry.ForwardDuration.Record(t.Forward, tags);
        FineTuneTelemetry.BackwardDuration.Record(t.Backward, tags);
        FineTuneTelemetry.AllReduceDuration.Record(t.AllReduce, tags);
        FineTuneTelemetry.OptimizerDuration.Record(t.Optimizer, tags);
        if (allReduceBytesPerStep > 0) FineTuneTelemetry.AllReduceBytes.Add(allReduceBytesPerStep, tags);
        if (s.Step % SpanEvery == 0 || s.Step == 1) StepSpan(s);
    }

    /// <summary>The step just finished at "now": its span starts Total seconds ago; the all-reduce ran just before the optimizer.</summary>
    void StepSpan(StepInfo s)
    {
        if (!FineTuneTelemetry.Source.HasListeners()) return;
        var t = s.Timings;
        var current = Activity.Current; // the epoch span: restored below, whatever the explicit parenting did
        var end = DateTime.UtcNow;
        var start = end - TimeSpan.FromSeconds(t.Total);
        var step = FineTuneTelemetry.Source.StartActivity("step", ActivityKind.Internal, default(ActivityContext), spanTags, startTime: start);
        if (step is null) return;
        step.SetTag("finetune.step", s.Step);
        step.SetTag("finetune.loss", s.Loss);
        step.SetTag("finetune.learning_rate", s.LearningRate);
        step.SetTag("finetune.grad_norm", s.GradNorm);
        // The parts as attributes (seconds), readable in the span's details; only all-reduce gets a child span of its own.
        step.SetTag("finetune.step.data_wait", t.DataWait);
        step.SetTag("finetune.step.forward", t.Forward);
        step.SetTag("finetune.step.backward", t.Backward);
        step.SetTag("finetune.step.allreduce", t.AllReduce);
        step.SetTag("finetune.step.optimizer", t.Optimizer);
        var reduceEnd = end - TimeSpan.FromSeconds(t.Optimizer);
        using (var reduce = FineTuneTelemetry.Source.StartActivity("allreduce", ActivityKind.Internal, step.Context, spanTags, startTime: reduceEnd - TimeSpan.FromSeconds(t.AllReduce)))
        {
            reduce?.SetTag("finetune.allreduce.bytes", allReduceBytesPerStep);
            reduce?.SetEndTime(reduceEnd);
        }
        step.SetEndTime(end);
        step.Stop();
        Activity.Current = current;
    }

    public void OnEvaluate(int step, double epoch, EvalResult result) => FineTuneTelemetry.EvalAccuracy.Record(result.Accuracy, tags);

    public void OnSave(string checkpoint, double seconds) => FineTuneTelemetry.CheckpointDuration.Record(seconds, tags);
}
