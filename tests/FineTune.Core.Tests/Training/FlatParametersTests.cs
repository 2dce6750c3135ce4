using FineTune.Core.Checkpointing;
using FineTune.Core.Modeling;
using FineTune.Core.Tests.Modeling;
using FineTune.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Training;

/// <summary>The fused optimizer's layout: the module's parameters really are views of one flat buffer, and training resumes exactly.</summary>
[Collection(TorchGlobalState.Name)]
public class FlatParametersTests
{
    static List<(string Name, Tensor Param)> Named(SequenceClassifier model) => model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();

    [Fact]
    public void Parameters_are_views_of_the_flat_buffer_in_named_parameters_order()
    {
        using var scope = NewDisposeScope();
        using var model = PretrainedModel.CreateRandom(TinyModels.Config(), 3);
        var before = PretrainedModel.StateDict(model).ToList();
        using var flat = new FlatParameters(Named(model));
        Assert.Equal(before.Sum(t => t.ElementCount), flat.Count);
        // Flattening kept every value, in named_parameters order.
        Assert.Equal(before.SelectMany(t => t.Data).ToArray(), TensorData.Floats(flat.Buffer));

        // A write to the buffer is a write to the module's weights: forward, named_parameters and state_dict see it.
        var ids = randint(1, TinyModels.Vocab.Length, [2, 6]);
        model.eval();
        using var half = 0.5.ToScalar();
        using (no_grad())
        {
            var logits = model.call(ids, ones(2, 6, dtype: int64), zeros_like(ids));
            flat.Buffer.mul_(half);
            Assert.False(logits.allclose(model.call(ids, ones(2, 6, dtype: int64), zeros_like(ids))), "forward did not see the buffer's new weights");
        }
        var slot = flat.Slots.Single(s => s.Name == "classifier.weight");
        var classifier = model.named_parameters().Single(p => p.name == "classifier.weight").parameter;
        Assert.Equal(TensorData.Floats(slot.In(flat.Buffer)), TensorData.Floats(classifier));
        Assert.Equal(before.Single(t => t.Name == "classifier.weight").Data.Select(v => v * 0.5f), PretrainedModel.StateDict(model).Single(t => t.Name == "classifier.weight").Data);

        // And the other way: LoadWeights' in-place copy (resume, load_best_model_at_end) lands in the buffer.
        var checkpoint = before.ToDictionary(t => t.Name);
        PretrainedModel.LoadWeights(model, "before", checkpoint, 3);
        Assert.Equal(before.SelectMany(t => t.Data).ToArray(), TensorData.Floats(flat.Buffer));
        Assert.True(classifier.requires_grad, "the parameter no longer requires grad");
    }

    [Fact]
    public void Backward_and_the_fused_step_move_the_modules_weights()
    {
        using var scope = NewDisposeScope();
        using var model = PretrainedModel.CreateRandom(TinyModels.Config(), 3);
        var named = Named(model);
        using var flat = new FlatParameters(named);
        using var grads = new FlatGradients(named.Select(p => p.Param).ToList());
        using var adamw = new AdamW(flat, grads.Gradients, new() { WeightDecay = 0.01 });
        var ids = randint(1, TinyModels.Vocab.Length, [2, 6]);
        nn.functional.cross_entropy(model.call(ids, ones(2, 6, dtype: int64), zeros_like(ids)), tensor(new long[] { 0, 1 })).backward();
        Assert.True(grads.Gradients.abs().sum().item<float>() > 0, "backward wrote no gradient into the flat buffer");
        var weights = PretrainedModel.StateDict(model).SelectMany(t => t.Data).ToArray();
        adamw.Update(1e-3);
        var moved = PretrainedModel.StateDict(model).SelectMany(t => t.Data).ToArray();
        Assert.Equal(TensorData.Floats(flat.Buffer), moved);
        Assert.True(weights.Zip(moved).Count(w => w.First != w.Second) > weights.Length / 2, "the step did not move the module's weights");
    }

    [Fact]
    public void A_resumed_run_continues_bit_for_bit_with_the_same_optimizer_state()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        var args = TinyJobs.Args(model, dataset, output) with { NumTrainEpochs = 2, WeightDecay = 0.1, EvalStrategy = "no", SaveStrategy = "steps", SaveSteps = 4 };
        FineTuneJob.Run(args);

        var resumedOut = output + "-resumed";
        using var cancel = new CancellationTokenSource();
        var first = FineTuneJob.Run(args with { OutputDir = resumedOut }, new CancelAt(6, cancel), cancel: cancel.Token); // saves checkpoint-6
        Assert.True(first.Outcome.Interrupted);
        var second = FineTuneJob.Run(args with { OutputDir = resumedOut, ResumeFromCheckpoint = "latest" });
        Assert.Equal(16, second.Outcome.GlobalStep);
        Assert.Equal(TinyJobs.Weights(output), TinyJobs.Weights(resumedOut));
        // The optimizer state of the last checkpoint, exp_avg.NAME / exp_avg_sq.NAME per parameter, is the same too.
        var expected = SafeTensors.Read(Path.Combine(output, "checkpoint-16", Checkpoints.OptimizerFile));
        var actual = SafeTensors.Read(Path.Combine(resumedOut, "checkpoint-16", Checkpoints.OptimizerFile));
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.Contains("exp_avg_sq.classifier.weight", actual.Keys);
        foreach (var (name, t) in expected) Assert.Equal(t.Data, actual[name].Data);
    }

    sealed class CancelAt(int steps, CancellationTokenSource cancel) : ITrainerObserver
    {
        public void OnStep(StepInfo step)
        {
            if (step.Step >= steps) cancel.Cancel();
        }
    }
}
