using FineTune.Core.Reporting;
namespace FineTune.Core.Training;

/// <summary>How long each part of an optimizer step took, in seconds (the telemetry's step-time breakdown).</summary>
public sealed record StepTimings(double DataWait, double Forward, double Backward, double AllReduce, double Optimizer, double Total);

/// <summary>One optimizer step, as observers see it.</summary>
public sealed record StepInfo(int Step, int MaxSteps, double Epoch, double Loss, double LearningRate, double GradNorm, int Samples, long Tokens, StepTimings Timings);

/// <summary>The shape of a run, known before the first step.</summary>
public sealed record TrainPlan(int MaxSteps, int StepsPerEpoch, int NumEpochs, int WarmupSteps, int TrainExamples, int EvalExamples, int WorldSize, int StartStep);

/// <summary>Progress bars, telemetry and job records listen here; the loop itself knows none of them.</summary>
public interface ITrainerObserver
{
    void OnTrainBegin(TrainPlan plan) { }
    void OnStep(StepInfo step) { }
    void OnLog(LogEntry entry) { }
    void OnEvaluate(int step, double epoch, EvalResult result) { }
    /// <summary>Rank 0 wrote a checkpoint folder, in <paramref name="seconds"/>.</summary>
    void OnSave(string checkpoint, double seconds) { }
}
