using FineTune.Core.Training;

namespace FineTune.Core.Telemetry;

/// <summary>Adds every optimizer step's parts (<see cref="StepTimings"/>) to the <see cref="PhaseProfile"/>.</summary>
public sealed class ProfileObserver : ITrainerObserver
{
    public void OnStep(StepInfo step)
    {
        var t = step.Timings;
        PhaseProfile.Add("step: batch collate", t.DataWait);
        PhaseProfile.Add("step: forward", t.Forward);
        PhaseProfile.Add("step: backward", t.Backward);
        PhaseProfile.Add("step: all-reduce", t.AllReduce);
        PhaseProfile.Add("step: clip + AdamW", t.Optimizer);
        PhaseProfile.Add("step: rest", t.Total - t.DataWait - t.Forward - t.Backward - t.AllReduce - t.Optimizer);
    }
}
