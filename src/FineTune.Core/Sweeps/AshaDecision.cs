namespace FineTune.Core.Sweeps;

/// <summary>What early stopping decided about a trial after one of its evaluations.</summary>
public enum AshaAction
{
    /// <summary>Keep training.</summary>
    Continue,

    /// <summary>Stop now: worse than its rung's cutoff (or its value is not a number).</summary>
    Stop,

    /// <summary>It reached max_t evaluations: the trial is done (Ray's STOP at max_t).</summary>
    Complete,
}

/// <summary>A decision with the reason to show the user ("asha: eval_accuracy 0.41 below the rung-0 cutoff 0.55 ...").</summary>
public sealed record AshaDecision(AshaAction Action, string Reason);

/// <summary>One evaluation of one trial, as the scheduler is told it (and as a record replays it).</summary>
public readonly record struct AshaReport(int TrialIndex, int Evaluations, double Value);
