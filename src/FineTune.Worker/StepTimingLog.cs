using FineTune.Core.Training;

namespace FineTune.Worker;

/// <summary>
/// Each step's time and its parts on this rank, at Debug level (off by default; the scale benchmarks turn it on with
/// Logging__LogLevel__FineTune.Worker=Debug): where a step's time goes at a given model size, without a telemetry backend.
/// </summary>
sealed class StepTimingLog(ILogger log, int rank) : ITrainerObserver
{
    public void OnStep(StepInfo s)
    {
        if (!log.IsEnabled(LogLevel.Debug)) return;
        var t = s.Timings;
        log.LogDebug("rank {Rank} step {Step}: total {Total:0} ms = data {Data:0} + forward {Forward:0} + backward {Backward:0} + all-reduce {AllReduce:0} + optimizer {Optimizer:0} ms",
            rank, s.Step, t.Total * 1e3, t.DataWait * 1e3, t.Forward * 1e3, t.Backward * 1e3, t.AllReduce * 1e3, t.Optimizer * 1e3);
    }
}
