using FineTune.Core.Inference;
using FineTune.Core.Training;
using TorchSharp;

namespace FineTune.Core.Tests.Training;

/// <summary>
/// The deterministic side of <see cref="NativeLifetimeStressTests"/>: TorchSharp counts, per thread, every tensor
/// created outside a dispose scope (such a tensor is freed by the finalizer thread, concurrently with libtorch).
/// Training steps, evaluations, checkpoint saves, a resume, and prediction batches must create none.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class DisposeScopeTests
{
    static long CreatedOutsideScope => DisposeScopeManager.Statistics.TensorStatistics.CreatedOutsideScopeCount;

    /// <summary>Tensors created outside any scope between consecutive training events (steps, evaluations, saves).</summary>
    sealed class Counter : ITrainerObserver
    {
        long last;
        public List<(string Event, long Created)> Intervals { get; } = [];
        void Mark(string what)
        {
            long now = CreatedOutsideScope;
            Intervals.Add((what, now - last));
            last = now;
        }
        public void OnTrainBegin(TrainPlan plan) => last = CreatedOutsideScope;
        public void OnStep(StepInfo step) => Mark($"step {step.Step}");
        public void OnEvaluate(int step, double epoch, EvalResult result) => Mark($"evaluation at step {step}");
        public void OnSave(string checkpoint, double seconds) => Mark($"save {Path.GetFileName(checkpoint)}");
    }

    [Fact]
    public void Training_steps_evaluations_saves_and_a_resume_create_no_tensor_outside_a_scope()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        var args = TinyJobs.Args(model, dataset, output) with
        {
            MaxSteps = 12,
            EvalStrategy = "steps",
            EvalSteps = 4,
            SaveStrategy = "steps",
            SaveSteps = 6,
            WeightDecay = 0.01,
            MaxGradNorm = 0.5, // the decay and clipping branches too
        };
        var first = new Counter();
        FineTuneJob.Run(args, first);
        var resumed = new Counter();
        FineTuneJob.Run(args with { MaxSteps = 16, ResumeFromCheckpoint = Path.Combine(output, "checkpoint-12") }, resumed);

        Assert.Equal(12 + 3 + 2, first.Intervals.Count); // 12 steps, 3 evaluations, 2 saves
        Assert.Equal(4 + 1, resumed.Intervals.Count);
        var leaks = first.Intervals.Concat(resumed.Intervals).Where(i => i.Created != 0).ToList();
        Assert.True(leaks.Count == 0, "tensors created outside a dispose scope: " + string.Join(", ", leaks.Select(l => $"{l.Event}: {l.Created}")));
    }

    [Fact]
    public void Prediction_batches_create_no_tensor_outside_a_scope()
    {
        var dir = Modeling.TinyModels.TempDir();
        Modeling.TinyModels.WriteFolder(dir);
        using var classifier = TextClassifier.Load(dir);
        var texts = Enumerable.Range(0, 100).Select(i => string.Join(' ', Enumerable.Repeat(i % 2 == 0 ? "great food" : "bad service", 1 + i % 7))).ToList();
        long before = CreatedOutsideScope;
        var predictions = classifier.Predict(texts, batchSize: 8).ToList(); // 13 batches
        Assert.Equal(100, predictions.Count);
        Assert.Equal(0, CreatedOutsideScope - before);
    }
}
