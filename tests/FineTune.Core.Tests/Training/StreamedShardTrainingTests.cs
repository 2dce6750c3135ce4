using FineTune.Core.Arguments;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Sharding;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;

namespace FineTune.Core.Tests.Training;

/// <summary>
/// The Trainer on shards that went through the wire form (only the rank's examples, renumbered), as a cluster worker
/// trains, reaches exactly what it reaches on the whole in-memory set.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class StreamedShardTrainingTests
{
    /// <summary>What a worker sees: each epoch's shard through the wire form, only its own examples.</summary>
    sealed class WireShards(TokenizedDataset train, TokenizedDataset eval, TrainingArguments args) : IShardSource
    {
        readonly ShardPlan plan = new(train, 1, args.PerDeviceTrainBatchSize, args.GradientAccumulationSteps, args.Seed, args.GroupByLength);
        public int Fetched;
        public int TrainExamples => train.Count;
        public int StepsPerEpoch => plan.StepsPerEpoch;
        public int EvalExamples => eval.Count;
        public TokenizedDataset? Eval => eval;

        public EpochShard Epoch(int epoch, int startExample = 0)
        {
            Fetched++;
            using var bytes = new MemoryStream();
            EpochShard.Compact(train, plan.Windows(epoch, 0, startExample)).Write(bytes);
            bytes.Position = 0;
            return EpochShard.Read(bytes);
        }
    }

    [Fact]
    public void Training_on_streamed_shards_matches_training_on_the_whole_set_bit_for_bit()
    {
        var (modelDir, datasetPath, output) = TinyJobs.Setup(60);
        var data = DatasetLoader.Load(new DatasetOptions { Dataset = datasetPath });
        var tokenizer = BertTokenizer.FromFolder(modelDir);
        var train = TokenizedDataset.Build(data.Train, tokenizer, 32);
        var eval = TokenizedDataset.Build(data.Eval, tokenizer, 32);
        var args = TinyJobs.Args(modelDir, datasetPath, output) with { NumTrainEpochs = 2, GroupByLength = true, GradientAccumulationSteps = 2, EvalStrategy = "epoch", SaveStrategy = "no" };

        var (whole, _) = PretrainedModel.Load(modelDir, data.LabelNames, 42);
        TrainOutcome a, b;
        using (var one = new SingleProcess()) a = new Trainer(args with { OutputDir = output + "-whole" }, whole, tokenizer, train, eval, one).Train();
        var (streamed, _) = PretrainedModel.Load(modelDir, data.LabelNames, 42);
        var shards = new WireShards(train, eval, args);
        using (var one = new SingleProcess()) b = new Trainer(args with { OutputDir = output + "-streamed" }, streamed, tokenizer, shards, one).Train();

        Assert.Equal(2, shards.Fetched);
        Assert.Equal(a.GlobalStep, b.GlobalStep);
        Assert.Equal(a.TrainLoss, b.TrainLoss);
        Assert.Equal(a.FinalEval!.Accuracy, b.FinalEval!.Accuracy);
        Assert.Equal(a.FinalEval.Loss, b.FinalEval.Loss);
        Assert.Equal(PretrainedModel.StateDict(whole).SelectMany(t => t.Data), PretrainedModel.StateDict(streamed).SelectMany(t => t.Data));
    }
}
