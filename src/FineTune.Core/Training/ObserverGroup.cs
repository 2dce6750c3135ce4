using FineTune.Core.Reporting;
namespace FineTune.Core.Training;

/// <summary>Several observers as one (progress reports and telemetry side by side), called in order.</summary>
public sealed class ObserverGroup(params ITrainerObserver[] observers) : ITrainerObserver
{
    public void OnTrainBegin(TrainPlan plan) { foreach (var o in observers) o.OnTrainBegin(plan); }
    public void OnStep(StepInfo step) { foreach (var o in observers) o.OnStep(step); }
    public void OnLog(LogEntry entry) { foreach (var o in observers) o.OnLog(entry); }
    public void OnEvaluate(int step, double epoch, EvalResult result) { foreach (var o in observers) o.OnEvaluate(step, epoch, result); }
    public void OnSave(string checkpoint, double seconds) { foreach (var o in observers) o.OnSave(checkpoint, seconds); }
}
