namespace FineTune.Core.Sweeps;

/// <summary>
/// A finished trial, as a sampler learns from it. <paramref name="Value"/> is the sweep metric: for a completed trial
/// its best evaluation (trainer_state's best_metric), for one that early stopping stopped its last reported value after
/// <paramref name="Evaluations"/> evaluations. Failed trials are not outcomes: leave them out (Optuna ignores them too).
/// </summary>
public sealed record TrialOutcome(int TrialIndex, TrialConfig Config, double Value, int Evaluations, bool StoppedEarly);
