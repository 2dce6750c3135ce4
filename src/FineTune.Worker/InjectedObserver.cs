using FineTune.Core.Reporting;
using FineTune.Core.Training;

namespace FineTune.Worker;

/// <summary>
/// TEST ONLY: the base of the test hooks that wrap the rank's observer (<see cref="InjectedFault"/>,
/// <see cref="InjectedDelay"/>): every event goes to the inner observer; a hook adds its behaviour after a step.
/// </summary>
abstract class InjectedObserver(ITrainerObserver inner) : ITrainerObserver
{
    public void OnTrainBegin(TrainPlan plan) => inner.OnTrainBegin(plan);
    public void OnLog(LogEntry entry) => inner.OnLog(entry);
    public void OnEvaluate(int step, double epoch, EvalResult result) => inner.OnEvaluate(step, epoch, result);
    public void OnSave(string checkpoint, double seconds) => inner.OnSave(checkpoint, seconds);

    public void OnStep(StepInfo s)
    {
        inner.OnStep(s);
        AfterStep(s);
    }

    protected abstract void AfterStep(StepInfo s);
}
