using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Tests.Collectives;
using FineTune.Core.Tests.Modeling;
using FineTune.Core.Tokenization;
using FineTune.Core.Training;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Training;

[Collection(TorchGlobalState.Name)]
public class GradientBucketsTests
{
    static SequenceClassifier Model(int layers = 4)
    {
        var config = FineTune.Core.Modeling.Bert.BertConfig.Create(TinyModels.Vocab.Length, 16, layers, 2, 32, 64, ["neg", "pos"]);
        var model = PretrainedModel.CreateRandom(config, 3);
        model.eval(); // no dropout: two backward passes over the same batch give the same gradients
        return model;
    }

    static Tensor Loss(SequenceClassifier model, int seed)
    {
        var g = new Generator((ulong)seed);
        var ids = randint(5, TinyModels.Vocab.Length, [3, 9], dtype: ScalarType.Int64, generator: g);
        return nn.functional.cross_entropy(model.call(ids, ones_like(ids), zeros_like(ids)), tensor(new long[] { 0, 1, 1 }), reduction: nn.Reduction.Sum);
    }

    [Fact]
    public void A_layer_input_hook_fires_in_backward_after_that_layers_gradients_and_before_the_embeddings()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var parameters = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
        using var grads = new FlatGradients([.. parameters.Select(p => p.Item2)]);
        var plan = BucketPlan.For([.. parameters.Select(p => (p.name, p.Item2.numel()))], model.LayerParameterPrefixes(), 1)!;
        long parameterCount = plan.Total - 1;
        var seen = new List<(int Layer, float[] Final, float[] Before)>();
        model.SetLayerInputHook((i, x) => BackwardHook.Wrap(x, () =>
        {
            long f = plan.Frontiers[i];
            seen.Add((i, grads.Buffer.narrow(0, f, parameterCount - f).data<float>().ToArray(), grads.Buffer.narrow(0, 0, f).data<float>().ToArray()));
        }));
        Loss(model, 1).backward();
        model.SetLayerInputHook(null);

        Assert.Equal([3, 2, 1, 0], seen.Select(s => s.Layer)); // once per layer, top layer first
        foreach (var (layer, final, before) in seen)
        {
            long f = plan.Frontiers[layer];
            Assert.Equal(grads.Buffer.narrow(0, f, parameterCount - f).data<float>().ToArray(), final); // nothing from the frontier on changed later
            Assert.All(before, v => Assert.Equal(0f, v)); // the embeddings and lower layers were still to come
        }
        Assert.Contains(grads.Buffer.narrow(0, 0, plan.Frontiers[0]).data<float>().ToArray(), v => v != 0); // and did come
    }

    [Theory]
    [InlineData(1L)] // a bucket per layer
    [InlineData(1L << 20)] // one bucket: the whole buffer after backward
    public void Two_ranks_overlapped_get_bit_identical_sums_to_one_all_reduce_after_backward(long bucketFloats)
    {
        var rings = RingHarness.Form(2);
        var overlapped = new float[2][];
        var single = new float[2][];
        try
        {
            RingHarness.ThrowAny(RingHarness.OnRanks(2, r =>
            {
                using var scope = NewDisposeScope();
                var model = Model();
                var parameters = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
                using var grads = new FlatGradients([.. parameters.Select(p => p.Item2)]);
                using (var buckets = GradientBuckets.For(rings[r], model, parameters, grads, mixedPrecision: false, bucketFloats, enabled: true)!)
                {
                    Assert.Equal(bucketFloats == 1 ? 5 : 1, buckets.Plan.Count);
                    buckets.Arm();
                    grads.AddLoss(r + 1);
                    Loss(model, 10 + r).backward();
                    buckets.Finish();
                    overlapped[r] = grads.Buffer.data<float>().ToArray();
                }
                grads.Zero();
                grads.AddLoss(r + 1);
                Loss(model, 10 + r).backward();
                rings[r].AllReduceSum(grads.Buffer);
                single[r] = grads.Buffer.data<float>().ToArray();
            }));
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
        Assert.Equal(single[0], overlapped[0]);
        Assert.Equal(single[1], overlapped[1]);
        Assert.Equal(single[0], single[1]);
        Assert.Equal(3f, overlapped[0][^1]); // the loss slot went too
    }

    [Fact]
    public void The_trainer_on_two_ranks_reaches_bit_identical_weights_with_and_without_overlap()
    {
        var (modelDir, datasetPath, output) = TinyJobs.Setup(64);
        TinyJobs.WithoutDropout(modelDir);
        var data = DatasetLoader.Load(new DatasetOptions { Dataset = datasetPath });
        var tokenizer = BertTokenizer.FromFolder(modelDir);
        var train = TokenizedDataset.Build(data.Train, tokenizer, 32);
        float[] Train(string overlap)
        {
            var previous = Environment.GetEnvironmentVariable(GradientBuckets.Variable);
            Environment.SetEnvironmentVariable(GradientBuckets.Variable, overlap);
            Environment.SetEnvironmentVariable(GradientBuckets.SizeVariable, "0.001"); // a bucket per layer of the tiny model
            var rings = RingHarness.Form(2);
            var weights = new float[2][];
            try
            {
                RingHarness.ThrowAny(RingHarness.OnRanks(2, r =>
                {
                    var (model, _) = PretrainedModel.Load(modelDir, data.LabelNames, 42);
                    var args = TinyJobs.Args(modelDir, datasetPath, output + $"-{overlap}-{r}") with { MaxSteps = 6, GradientAccumulationSteps = 2, EvalStrategy = "no", SaveStrategy = "no", Threads = null };
                    new Trainer(args, model, tokenizer, train, null, rings[r]).Train();
                    weights[r] = PretrainedModel.StateDict(model).SelectMany(t => t.Data).ToArray();
                }, limitSeconds: 120));
            }
            finally
            {
                foreach (var ring in rings) ring.Dispose();
                Environment.SetEnvironmentVariable(GradientBuckets.Variable, previous);
                Environment.SetEnvironmentVariable(GradientBuckets.SizeVariable, null);
            }
            Assert.Equal(weights[0], weights[1]);
            return weights[0];
        }
        Assert.Equal(Train("0"), Train("1"));
    }

    [Fact]
    public void Not_for_one_rank_or_when_switched_off()
    {
        using var scope = NewDisposeScope();
        var model = Model(2);
        var parameters = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
        using var grads = new FlatGradients([.. parameters.Select(p => p.Item2)]);
        using var one = new FineTune.Core.Collectives.SingleProcess();
        Assert.Null(GradientBuckets.For(one, model, parameters, grads, mixedPrecision: false, enabled: true));
        var rings = RingHarness.Form(2);
        try
        {
            Assert.Null(GradientBuckets.For(rings[0], model, parameters, grads, mixedPrecision: false, enabled: false));
            Assert.Null(GradientBuckets.For(rings[0], model, parameters, grads, mixedPrecision: true, enabled: true));
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }
}
