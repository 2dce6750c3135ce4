using FineTune.Core.Data;

namespace FineTune.Core.Sharding;

/// <summary>One optimizer step's worth of this rank's examples: a micro-batch per accumulation step.</summary>
public sealed record UpdateWindow(IReadOnlyList<int[]> MicroBatches, int GlobalExamples);

/// <summary>
/// Which examples each rank trains on, per epoch. The epoch's order is the same seeded order on every rank; it is cut
/// into global batches of batch_size x world_size, and rank r takes every world_size-th example of each (so with
/// group_by_length every rank gets similar lengths). Every example is used once per epoch and every rank runs the same
/// number of steps, even when the last global batch is short (a rank may then get fewer, or no, examples in it).
/// An epoch can also be planned from an example offset of its global order: the rest of the epoch is cut the same way
/// for whatever world size runs it, so a group that changed size mid-epoch neither loses nor repeats an example.
/// With group_by_length the order depends on the batch size it was grouped for (<paramref name="orderBatchSize"/>,
/// by default batch_size x world_size): a re-plan with another world size passes the original one to keep the order.
/// </summary>
public sealed class ShardPlan(TokenizedDataset train, int worldSize, int batchSize, int accumulationSteps, long seed, bool groupByLength, int? orderBatchSize = null)
{
    readonly int[] all = Enumerable.Range(0, train.Count).ToArray();

    public int WorldSize => worldSize;
    public int GlobalBatchSize => batchSize * worldSize;
    public int StepsPerEpoch => Math.Max(1, StepsFor(train.Count));

    /// <summary>Optimizer steps that <paramref name="examples"/> examples of an epoch's order take.</summary>
    public int StepsFor(int examples) => Steps(examples, GlobalBatchSize, accumulationSteps);

    public static int Steps(int examples, int globalBatchSize, int accumulationSteps)
    {
        int microBatches = (examples + globalBatchSize - 1) / globalBatchSize;
        return (microBatches + accumulationSteps - 1) / accumulationSteps;
    }

    /// <summary>The epoch's global order (the same on every rank and for every world size).</summary>
    public int[] Order(int epoch) => Batching.EpochOrder(train, all, epoch, seed, groupByLength, orderBatchSize ?? batchSize * worldSize);

    /// <summary>
    /// Rank <paramref name="rank"/>'s update windows for the epoch from example <paramref name="startExample"/> of its
    /// global order on; the micro-batches hold indices into the training set.
    /// </summary>
    public IReadOnlyList<UpdateWindow> Windows(int epoch, int rank, int startExample = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, worldSize);
        ArgumentOutOfRangeException.ThrowIfNegative(startExample);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(startExample, train.Count);
        var order = Order(epoch).AsSpan(startExample);
        var windows = new List<UpdateWindow>(StepsFor(order.Length));
        for (int start = 0; start < order.Length; start += GlobalBatchSize * accumulationSteps)
        {
            var micro = new List<int[]>(accumulationSteps);
            int global = 0;
            for (int b = start; b < Math.Min(order.Length, start + GlobalBatchSize * accumulationSteps); b += GlobalBatchSize)
            {
                var batch = order.Slice(b, Math.Min(GlobalBatchSize, order.Length - b));
                global += batch.Length;
                var mine = new List<int>(batchSize);
                for (int i = rank; i < batch.Length; i += worldSize) mine.Add(batch[i]);
                micro.Add(mine.ToArray());
            }
            windows.Add(new UpdateWindow(micro, global));
        }
        return windows;
    }

    /// <summary>This rank's part of the evaluation set: every world_size-th example, no duplicates across ranks.</summary>
    public static int[] EvalShard(int count, int rank, int worldSize) =>
        Enumerable.Range(0, count).Where(i => i % worldSize == rank).ToArray();
}
