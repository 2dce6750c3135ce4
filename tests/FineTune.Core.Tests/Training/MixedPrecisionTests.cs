using FineTune.Core.Arguments;
using FineTune.Core.Modeling;
using FineTune.Core.Tests.Modeling;
using FineTune.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Training;

/// <summary>--precision bf16: a bf16 copy computes, the fp32 master learns, checkpoints stay fp32.</summary>
[Collection(TorchGlobalState.Name)]
public class MixedPrecisionTests
{
    static SequenceClassifier Tiny() => ModelFactory.CreateClassifier(TinyModels.Config());

    /// <summary>The model's precision, its parameters made flat first as the Trainer does.</summary>
    sealed class Setup : IDisposable
    {
        public Setup(SequenceClassifier model, string precision)
        {
            var parameters = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
            Flat = new FlatParameters(parameters);
            Grads = new FlatGradients(parameters.Select(p => p.Item2).ToList());
            Precision = MixedPrecision.For(model, precision, Flat, Grads);
        }

        public FlatParameters Flat { get; }
        public FlatGradients Grads { get; }
        public MixedPrecision Precision { get; }

        public void Dispose()
        {
            Precision.Dispose();
            Grads.Dispose();
            Flat.Dispose();
        }
    }

    [Fact]
    public void Fp32_computes_on_the_model_itself()
    {
        using var model = Tiny();
        using var setup = new Setup(model, "fp32");
        var precision = setup.Precision;
        Assert.Same(model, precision.Compute);
        Assert.False(precision.IsMixed);
    }

    [Fact]
    public void The_bf16_copy_keeps_layer_norms_in_fp32_and_the_masters_weights()
    {
        using var model = Tiny();
        using var setup = new Setup(model, "bf16");
        var precision = setup.Precision;
        Assert.NotSame(model, precision.Compute);
        var masters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in precision.Compute.named_parameters())
        {
            Assert.Equal(name.Contains("LayerNorm", StringComparison.Ordinal) ? ScalarType.Float32 : ScalarType.BFloat16, p.dtype);
            Assert.Equal(ScalarType.Float32, masters[name].dtype);
            using var rounded = masters[name].to_type(ScalarType.BFloat16).to_type(ScalarType.Float32);
            using var copied = p.to_type(ScalarType.Float32);
            Assert.True(rounded.allclose(copied, rtol: 0, atol: 0), $"{name} is not the master's weight rounded to bf16");
        }
    }

    [Fact]
    public void Bf16_logits_are_close_to_fp32_logits()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = Tiny();
        using var setup = new Setup(model, "bf16");
        var precision = setup.Precision;
        model.eval();
        precision.Compute.eval();
        var ids = randint(1, TinyModels.Vocab.Length, [4, 12]);
        var mask = ones(4, 12, dtype: int64);
        mask[3, TensorIndex.Slice(6)] = zeros(6, dtype: int64); // padding takes the bf16 mask's minimum
        var types = zeros_like(ids);
        using var _ = no_grad();
        var fp32 = model.call(ids, mask, types);
        var bf16 = precision.Compute.call(ids, mask, types);
        Assert.Equal(ScalarType.BFloat16, bf16.dtype);
        var diff = (bf16.to_type(ScalarType.Float32) - fp32).abs().max().item<float>();
        var scale = fp32.abs().max().item<float>();
        Assert.True(diff <= 0.05 * Math.Max(scale, 1), $"bf16 logits differ from fp32 by {diff} (scale {scale})");
        Assert.True(diff > 0, "bf16 logits equal fp32 logits bit for bit: the copy did not compute in bf16");
    }

    [Fact]
    public void Gradients_are_added_into_the_fp32_master_and_cleared_on_the_copy()
    {
        using var model = Tiny();
        using var setup = new Setup(model, "bf16");
        var (precision, grads) = (setup.Precision, setup.Grads);
        using (var scope = NewDisposeScope())
        {
            var ids = randint(1, TinyModels.Vocab.Length, [2, 8]);
            var logits = precision.Compute.call(ids, ones(2, 8, dtype: int64), zeros_like(ids)).to_type(ScalarType.Float32);
            nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1 })).backward();
            precision.AccumulateGradients();
            precision.AccumulateGradients(); // a second call adds nothing: the copy's gradients were cleared
            var first = grads.Gradients.clone();
            Assert.True(first.abs().sum().item<float>() > 0, "no gradient reached the master");
            Assert.Equal(ScalarType.Float32, grads.Buffer.dtype);
            // The bf16 gradients were cleared; the fp32 LayerNorms' are the master's own (backward wrote them there).
            var masters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in precision.Compute.named_parameters())
            {
                if (p.dtype == ScalarType.BFloat16) Assert.Equal(0, p.grad!.abs().sum().to_type(ScalarType.Float32).item<float>());
                else Assert.True(p.grad!.allclose(masters[name].grad!, rtol: 0, atol: 0), $"{name}: the LayerNorm's gradient is not the master's");
            }
        }
    }

    [Fact]
    public void Bf16_training_learns_as_fp32_does_and_saves_fp32_weights()
    {
        var (model, dataset, output) = TinyJobs.Setup();
        var args = TinyJobs.Args(model, dataset, output) with { EvalStrategy = "epoch", NumTrainEpochs = 5 };
        var fp32 = FineTuneJob.Run(args).Outcome;
        var bf16 = FineTuneJob.Run(args with { OutputDir = output + "-bf16", Precision = "bf16" }).Outcome;

        Assert.True(bf16.FinalEval!.Accuracy >= 0.9, $"bf16 final accuracy {bf16.FinalEval.Accuracy} (fp32 {fp32.FinalEval!.Accuracy})");
        Assert.True(Math.Abs(bf16.FinalEval.Accuracy - fp32.FinalEval!.Accuracy) <= 0.05, $"accuracy bf16 {bf16.FinalEval.Accuracy} vs fp32 {fp32.FinalEval.Accuracy}");
        Assert.True(bf16.TrainLoss < 0.5 && Math.Abs(bf16.TrainLoss - fp32.TrainLoss) < 0.5 * fp32.TrainLoss + 0.05,
            $"train loss bf16 {bf16.TrainLoss} vs fp32 {fp32.TrainLoss}");
        // The saved model is the fp32 master: not every weight fits in bf16's 8 bits of mantissa.
        var saved = TinyJobs.Weights(output + "-bf16");
        Assert.Contains(saved, w => (BitConverter.SingleToInt32Bits(w) & 0xFFFF) != 0);
        Assert.NotEqual(TinyJobs.Weights(output), saved); // and it did train in bf16, not fp32
    }

    [Fact]
    public void A_bf16_run_resumed_ends_with_the_same_weights_and_its_checkpoint_resumes_in_fp32()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        var args = TinyJobs.Args(model, dataset, output) with { NumTrainEpochs = 2, Precision = "bf16", EvalStrategy = "no", SaveStrategy = "epoch" };
        FineTuneJob.Run(args);
        var uninterrupted = TinyJobs.Weights(output);

        var resumedOut = output + "-resumed";
        using var cancel = new CancellationTokenSource();
        var first = FineTuneJob.Run(args with { OutputDir = resumedOut }, new CancelAt(5, cancel), cancel: cancel.Token);
        Assert.True(first.Outcome.Interrupted);
        var second = FineTuneJob.Run(args with { OutputDir = resumedOut, ResumeFromCheckpoint = "latest" });
        Assert.Equal(16, second.Outcome.GlobalStep);
        var maxDiff = uninterrupted.Zip(TinyJobs.Weights(resumedOut), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff <= 1e-6, $"resumed bf16 weights differ by {maxDiff}");

        var inFp32 = FineTuneJob.Run(args with { OutputDir = output + "-fp32", Precision = "fp32", ResumeFromCheckpoint = Path.Combine(resumedOut, "checkpoint-5"), NumTrainEpochs = 2 });
        Assert.Equal(16, inFp32.Outcome.GlobalStep);
    }

    [Theory]
    [InlineData("bf16: true\n", "bf16")]
    [InlineData("precision: bf16\nbf16: false\n", "fp32")]
    [InlineData("bf16: false\n", "fp32")]
    public void Hugging_faces_bf16_switch_is_the_precision_option(string yaml, string expected)
    {
        var path = Path.Combine(TinyModels.TempDir(), "job.yaml");
        File.WriteAllText(path, yaml);
        var args = new TrainingArguments();
        args = ArgumentTable.ApplyFile(args, path);
        Assert.Equal(expected, args.Precision);
    }

    [Fact]
    public void Fp16_is_refused_with_the_way_out_and_bf16_runs_on_the_cpu()
    {
        var e = Assert.Throws<InvalidInputException>(() => new TrainingArguments { Model = "m", Dataset = "d", OutputDir = "o", Precision = "fp16" }.Validate());
        Assert.Contains("--precision (precision)", e.Message);
        Assert.Contains("use bf16", e.Message);
        new TrainingArguments { Model = "m", Dataset = "d", OutputDir = "o", Precision = "bf16", Device = "cpu" }.Validate();
    }

    sealed class CancelAt(int steps, CancellationTokenSource cancel) : ITrainerObserver
    {
        public void OnStep(StepInfo step)
        {
            if (step.Step >= steps) cancel.Cancel();
        }
    }
}
