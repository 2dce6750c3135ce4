using FineTune.Core.Arguments;
using FineTune.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Training;

[Collection(TorchGlobalState.Name)]
public class OptimizationTests
{
    [Fact]
    public void AdamW_matches_torch_optim_AdamW()
    {
        manual_seed(3);
        var a = randn(5, 4);
        var b = a.clone();
        var args = new TrainingArguments { LearningRate = 1e-2, WeightDecay = 0.1, AdamBeta1 = 0.8, AdamBeta2 = 0.95, AdamEpsilon = 1e-6 };
        using var flat = new FlatParameters([("layer.weight", a)]);
        using var grads = new FlatGradients([a]);
        using var ours = new AdamW(flat, grads.Gradients, args);
        var pa = new TorchSharp.Modules.Parameter(b);
        var reference = optim.AdamW([pa], lr: 1e-2, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: 0.1);
        for (int step = 0; step < 5; step++)
        {
            var g = randn(5, 4);
            a.grad!.copy_(g);
            pa.grad = g.clone();
            ours.Update(1e-2);
            reference.step();
        }
        var diff = (a - pa).abs().max().item<float>();
        Assert.True(diff < 1e-6, $"differs by {diff}");
    }

    [Theory]
    [InlineData(AdamW.DenominatorRange, true)] // the CPU's one-pass kernel (AdamWCpuKernel)
    [InlineData(AdamW.DenominatorRange, false)] // the libtorch calls a GPU runs
    [InlineData(7, false)] // ranges that cut through parameters
    public void Fused_AdamW_matches_torch_optim_AdamW_per_parameter_with_decay_only_on_weights(long range, bool cpuKernel)
    {
        manual_seed(4);
        string[] names = ["dense.weight", "dense.bias", "LayerNorm.weight", "classifier.weight"];
        // 75,300 weights: more than one of the kernel's parallel blocks, and not a multiple of its vector width.
        long[][] shapes = [[300, 251], [300], [300], [2, 300]];
        var ours = names.Select((n, i) => (n, randn(shapes[i]))).ToList();
        var theirs = ours.Select(p => new TorchSharp.Modules.Parameter(p.Item2.clone())).ToList();
        var args = new TrainingArguments { WeightDecay = 0.1, AdamBeta1 = 0.8, AdamBeta2 = 0.95, AdamEpsilon = 1e-6 };
        using var flat = new FlatParameters(ours);
        using var grads = new FlatGradients(ours.Select(p => p.Item2).ToList());
        using var adamw = new AdamW(flat, grads.Gradients, args, range, cpuKernel);
        // One torch optimizer per parameter: weight decay 0.1 on the weights, none on the bias and the LayerNorm.
        var reference = theirs.Select((p, i) => optim.AdamW([p], lr: 1e-2, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: AdamW.Decays(names[i]) ? 0.1 : 0)).ToList();
        for (int step = 0; step < 5; step++)
        {
            for (int i = 0; i < names.Length; i++)
            {
                var g = randn(shapes[i]);
                ours[i].Item2.grad!.copy_(g);
                theirs[i].grad = g;
                reference[i].step();
            }
            adamw.Update(1e-2);
        }
        for (int i = 0; i < names.Length; i++)
        {
            var diff = (ours[i].Item2 - theirs[i]).abs().max().item<float>();
            Assert.True(diff < 1e-6, $"{names[i]} differs by {diff}");
        }
        var state = adamw.State().ToDictionary(t => t.Name);
        Assert.Equal(2 * names.Length, state.Count);
        Assert.Equal(shapes[3], state["exp_avg_sq.classifier.weight"].Shape);
    }

    [Theory]
    [InlineData(true)] // the CPU kernel multiplies each gradient as it reads it
    [InlineData(false)] // the libtorch path scales the buffer first
    public void Clipping_folded_into_the_update_equals_clipping_the_gradients_in_place_bit_for_bit(bool cpuKernel)
    {
        manual_seed(5);
        var args = new TrainingArguments { WeightDecay = 0.1 };
        var start = randn(300, 251);
        var (inPlace, folded) = (Setup(start.clone()), Setup(start.clone()));
        int clipped = 0;
        for (int step = 0; step < 4; step++)
        {
            var g = randn(300, 251).mul_(step % 2 == 0 ? 0.01 : 1.0); // norms of ~2.7 and ~274: one unclipped, one clipped
            inPlace.Grads.Gradients.copy_(g.flatten());
            folded.Grads.Gradients.copy_(g.flatten());
            var norm = inPlace.Grads.ClipGlobalNorm(10.0);
            inPlace.AdamW.Update(1e-2);
            var (foldedNorm, factor) = folded.Grads.ClipFactor(10.0);
            folded.AdamW.Update(1e-2, factor);
            Assert.Equal(norm, foldedNorm);
            if (factor < 1) clipped++;
        }
        Assert.Equal(2, clipped);
        Assert.Equal(inPlace.Weight.data<float>().ToArray(), folded.Weight.data<float>().ToArray());

        (Tensor Weight, FlatGradients Grads, AdamW AdamW) Setup(Tensor weight)
        {
            var flat = new FlatParameters([("dense.weight", weight)]);
            var grads = new FlatGradients([weight]);
            return (weight, grads, new AdamW(flat, grads.Gradients, args, AdamW.DenominatorRange, cpuKernel));
        }
    }

    [Fact]
    public void Weight_decay_skips_biases_and_LayerNorm()
    {
        Assert.True(AdamW.Decays("bert.encoder.layer.0.attention.self.query.weight"));
        Assert.True(AdamW.Decays("classifier.weight"));
        Assert.False(AdamW.Decays("classifier.bias"));
        Assert.False(AdamW.Decays("bert.embeddings.LayerNorm.weight"));
        Assert.False(AdamW.Decays("bert.encoder.layer.0.output.LayerNorm.weight"));
    }

    [Theory]
    // Hugging Face get_scheduler values, 10 total steps, 2 warmup steps, peak 1.0
    [InlineData("linear", 0, 0.0)]
    [InlineData("linear", 1, 0.5)]
    [InlineData("linear", 2, 1.0)]
    [InlineData("linear", 6, 0.5)]
    [InlineData("linear", 10, 0.0)]
    [InlineData("cosine", 2, 1.0)]
    [InlineData("cosine", 6, 0.5)]
    [InlineData("cosine", 10, 0.0)]
    [InlineData("constant", 0, 1.0)]
    [InlineData("constant_with_warmup", 1, 0.5)]
    [InlineData("constant_with_warmup", 9, 1.0)]
    public void Schedules_follow_hugging_face(string type, int step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(type, 1.0, 2, 10).At(step), 6);

    [Fact]
    public void Warmup_ratio_rounds_up()
    {
        Assert.Equal(4, LearningRateSchedule.WarmupFor(new TrainingArguments { WarmupRatio = 0.1 }, 31));
        Assert.Equal(5, LearningRateSchedule.WarmupFor(new TrainingArguments { WarmupSteps = 5 }, 31));
    }

    [Fact]
    public void Gradient_clipping_reports_the_norm_before_clipping()
    {
        var p = zeros(4, 3);
        using var grads = new FlatGradients([p]);
        p.grad!.fill_(2.0f); // norm = sqrt(12 * 4) = 6.928
        var norm = grads.ClipGlobalNorm(1.0);
        Assert.Equal(Math.Sqrt(48), norm, 4);
        Assert.Equal(1.0, grads.Gradients.norm().item<float>(), 4);
        grads.Buffer.zero_();
        Assert.Equal(0, p.grad!.abs().sum().item<float>());
    }
}
