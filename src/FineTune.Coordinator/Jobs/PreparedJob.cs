using FineTune.Core.Arguments;
using FineTune.Core.Data;
using FineTune.Core.Sharding;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// What the coordinator needs to cut a running job's shards: its tokenized training set and the plan's settings.
/// <paramref name="OrderBatchSize"/> is the global batch the epochs' orders are grouped by, fixed when the job starts,
/// so a group re-planned with another world size mid-epoch keeps the same order.
/// </summary>
public sealed record PreparedJob(string JobId, long Generation, IReadOnlyList<string> Workers, TokenizedDataset Train, TrainingArguments Args, int OrderBatchSize)
{
    public int WorldSize => Workers.Count;

    /// <summary>Rank <paramref name="rank"/>'s examples and windows for the epoch from <paramref name="startExample"/> on.</summary>
    public EpochShard Shard(int epoch, int rank, int worldSize, int startExample)
    {
        var plan = new ShardPlan(Train, worldSize, Args.PerDeviceTrainBatchSize, Args.GradientAccumulationSteps, Args.Seed, Args.GroupByLength, OrderBatchSize);
        return EpochShard.Compact(Train, plan.Windows(epoch, rank, startExample));
    }
}
