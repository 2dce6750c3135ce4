using FineTune.Core.Data;

namespace FineTune.Core.Sharding;

/// <summary>
/// Where a rank's data comes from: its training examples epoch by epoch, and its part of the evaluation set. One
/// process plans its own (<see cref="InMemoryShards"/>); a cluster worker receives its shards from the coordinator.
/// </summary>
public interface IShardSource
{
    /// <summary>Training examples in the whole set (all ranks together).</summary>
    int TrainExamples { get; }

    /// <summary>Optimizer steps in a full epoch: the same on every rank.</summary>
    int StepsPerEpoch { get; }

    /// <summary>Evaluation examples in the whole set; 0 means no evaluation.</summary>
    int EvalExamples { get; }

    /// <summary>This rank's evaluation examples (none shared with another rank); null when there is no evaluation.</summary>
    TokenizedDataset? Eval { get; }

    /// <summary>This rank's examples and update windows for the epoch, from example <paramref name="startExample"/> of the
    /// epoch's global order on (a resumed epoch, possibly with another world size than the one that began it).</summary>
    EpochShard Epoch(int epoch, int startExample = 0);

    /// <summary>A hint that <paramref name="epoch"/> comes next, so a remote source can fetch it while this one trains.</summary>
    void Prefetch(int epoch) { }
}
