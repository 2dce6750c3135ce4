using FineTune.Core.Arguments;
using FineTune.Core.Data;

namespace FineTune.Core.Sharding;

/// <summary>A rank's data planned in this process from the whole tokenized sets (`finetune train`, tests).</summary>
public sealed class InMemoryShards : IShardSource
{
    readonly TokenizedDataset train;
    readonly ShardPlan plan;
    readonly int rank;

    public InMemoryShards(TokenizedDataset train, TokenizedDataset? eval, int rank, int worldSize, TrainingArguments args)
    {
        this.train = train;
        this.rank = rank;
        plan = new ShardPlan(train, worldSize, args.PerDeviceTrainBatchSize, args.GradientAccumulationSteps, args.Seed, args.GroupByLength);
        EvalExamples = eval?.Count ?? 0;
        Eval = eval is null || eval.Count == 0 ? null : worldSize == 1 ? eval : eval.Select(ShardPlan.EvalShard(eval.Count, rank, worldSize));
    }

    public int TrainExamples => train.Count;
    public int StepsPerEpoch => plan.StepsPerEpoch;
    public int EvalExamples { get; }
    public TokenizedDataset? Eval { get; }

    // The micro-batches index the whole training set: nothing is copied.
    public EpochShard Epoch(int epoch, int startExample = 0) => new(train, plan.Windows(epoch, rank, startExample));
}
