using FineTune.Core.Arguments;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Tests.Modeling;
using FineTune.Core.Tests.Training;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;

namespace FineTune.Core.Tests.Collectives;

/// <summary>
/// Data parallelism is exact: with dropout off and the same data order, N ranks with per-device batch B/N joined by the
/// TCP ring reach the same parameters as one process with batch B, and every rank holds bit-identical weights.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class DataParallelTests
{
    [Theory]
    [InlineData(2, 8)]
    [InlineData(3, 6)]
    public void N_ranks_with_batch_B_over_N_match_one_process_with_batch_B(int world, int batch)
    {
        var (modelDir, datasetPath, output) = TinyJobs.Setup(90);
        TinyJobs.WithoutDropout(modelDir);

        var data = DatasetLoader.Load(new DatasetOptions { Dataset = datasetPath });
        var tokenizer = BertTokenizer.FromFolder(modelDir);
        var train = TokenizedDataset.Build(data.Train, tokenizer, 32);
        TrainingArguments Args(int perDevice, string dir) => TinyJobs.Args(modelDir, datasetPath, dir) with
        {
            PerDeviceTrainBatchSize = perDevice,
            MaxSteps = 12,
            WarmupSteps = 2,
            WeightDecay = 0.01,
            EvalStrategy = "no",
            SaveStrategy = "no",
            Threads = null,
        };

        var (single, _) = PretrainedModel.Load(modelDir, data.LabelNames, 42);
        using (var one = new SingleProcess()) new Trainer(Args(batch, output + "-single"), single, tokenizer, train, null, one).Train();
        var expected = Flatten(single);

        var rings = RingHarness.Form(world);
        var weights = new float[world][];
        try
        {
            var errors = RingHarness.OnRanks(world, r =>
            {
                var (model, _) = PretrainedModel.Load(modelDir, data.LabelNames, 42);
                new Trainer(Args(batch / world, output + $"-rank{r}"), model, tokenizer, train, null, rings[r]).Train();
                weights[r] = Flatten(model);
            }, limitSeconds: 120);
            Assert.All(errors, e => Assert.Null(e));
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }

        for (int r = 1; r < world; r++) Assert.Equal(weights[0], weights[r]); // bit-identical across ranks
        var maxDiff = expected.Zip(weights[0], (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 1e-5, $"{world} ranks differ from one process by {maxDiff}");
        Assert.NotEqual(expected, Flatten(PretrainedModel.Load(modelDir, data.LabelNames, 42).Model)); // training did move the weights
    }

    static float[] Flatten(SequenceClassifier model) => PretrainedModel.StateDict(model).SelectMany(t => t.Data).ToArray();
}
