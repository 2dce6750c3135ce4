using FineTune.Core.Data;

namespace FineTune.Core.Training;

/// <summary>One optimizer step's worth of this rank's examples: a micro-batch per accumulation step.</summary>
public sealed record UpdateWindow(IReadOnlyList<int[]> MicroBatches, int GlobalExamples);

/// <summary>
/// Which examples each rank trains on, per epoch. The epoch's order is the same seeded order on every rank; it is cut
/// into global batches of batch_size x world_size, and rank r takes every world_size-th example of each (so with
/// group_by_length every rank gets similar lengths). Every example is used once per epoch and every rank runs the same
/// number of steps, even when the last global batch is short (a rank may then get fewer, or no, examples in it).
/// </summary>
public sealed class ShardPlan(TokenizedDataset train, int rank, int worldSize, int batchSize, int accumulationSteps, long seed, bool groupByLength)
{
    readonly int[] all = Enumerable.Range(0, train.Count).ToArray();

    public int GlobalBatchSize => batchSize * worldSize;
    public int MicroBatchesPerEpoch => (train.Count + GlobalBatchSize - 1) / GlobalBatchSize;
    public int StepsPerEpoch => Math.Max(1, (MicroBatchesPerEpoch + accumulationSteps - 1) / accumulationSteps);

    public IReadOnlyList<UpdateWindow> Epoch(int epoch)
    {
        var order = Batching.EpochOrder(train, all, epoch, seed, groupByLength, GlobalBatchSize);
        var windows = new List<UpdateWindow>(StepsPerEpoch);
        for (int start = 0; start < order.Length; start += GlobalBatchSize * accumulationSteps)
        {
            var micro = new List<int[]>(accumulationSteps);
            int global = 0;
            for (int b = start; b < Math.Min(order.Length, start + GlobalBatchSize * accumulationSteps); b += GlobalBatchSize)
            {
                var batch = order.AsSpan(b, Math.Min(GlobalBatchSize, order.Length - b));
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
