using FineTune.Core.Collectives;
using FineTune.Core.Training;
using static TorchSharp.torch;

namespace FineTune.Worker;

/// <summary>
/// How the ranks of a group agree to stop for a preemption (SIGTERM on any of them) at the same step: after every step
/// each rank puts its own flag into a vector of world-size floats and the group sums it (one tiny all-reduce per step,
/// negligible beside the gradients'), so every rank learns at the same step boundary which ranks are leaving. Then
/// <see cref="Token"/> fires and the Trainer, at the top of the next step, saves a checkpoint on rank 0 and returns
/// interrupted on every rank: no rank is left waiting in a collective the others never join.
/// </summary>
sealed class PreemptionVote(ICollective group, Device device, Func<bool> leaving) : ITrainerObserver, IDisposable
{
    readonly CancellationTokenSource stop = new();

    /// <summary>Fires on every rank after the same step once any rank is leaving.</summary>
    public CancellationToken Token => stop.Token;

    /// <summary>The ranks that are leaving (empty until the group agreed to stop).</summary>
    public IReadOnlyList<int> Ranks { get; private set; } = [];

    public void OnStep(StepInfo s)
    {
        if (stop.IsCancellationRequested) return; // decided: no step follows on any rank
        var flags = new float[group.WorldSize];
        flags[group.Rank] = leaving() ? 1f : 0f;
        using (NewDisposeScope())
        {
            var t = tensor(flags, device: device);
            group.AllReduceSum(t);
            flags = t.cpu().data<float>().ToArray();
        }
        var ranks = Enumerable.Range(0, flags.Length).Where(r => flags[r] > 0).ToList();
        if (ranks.Count == 0) return;
        Ranks = ranks;
        stop.Cancel();
    }

    public void Dispose() => stop.Dispose();
}
