using FineTune.Core;
using FineTune.Core.Arguments;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// The optimizer step as it was before the fused one (issue 14), kept only here as the "before" of the fused-step
/// benchmark: AdamW with its state per parameter (9 libtorch calls per parameter, 10 with weight decay), and the bf16
/// copy's weights pulled and gradients added parameter by parameter.
/// </summary>
sealed class PerParameterAdamW : IDisposable
{
    readonly (Tensor Param, Tensor ExpAvg, Tensor ExpAvgSq, bool Decay)[] slots;
    readonly double beta1, beta2, weightDecay;
    readonly Scalar beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, eps;
    int step;

    public PerParameterAdamW(IEnumerable<(string Name, Tensor Param)> parameters, TrainingArguments args)
    {
        beta1 = args.AdamBeta1;
        beta2 = args.AdamBeta2;
        weightDecay = args.WeightDecay;
        beta1Scalar = beta1.ToScalar();
        oneMinusBeta1 = (1 - beta1).ToScalar();
        beta2Scalar = beta2.ToScalar();
        oneMinusBeta2 = (1 - beta2).ToScalar();
        eps = args.AdamEpsilon.ToScalar();
        slots = parameters.Select(p => (p.Param, zeros_like(p.Param), zeros_like(p.Param), FineTune.Core.Training.AdamW.Decays(p.Name))).ToArray();
    }

    public void Update(double learningRate)
    {
        step++;
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        using var decayFactor = (1 - learningRate * weightDecay).ToScalar();
        using var correction2 = biasCorrection2Sqrt.ToScalar();
        using var negativeStepSize = (-learningRate / biasCorrection1).ToScalar();
        using var _ = no_grad();
        foreach (var (p, m, v, decay) in slots)
        {
            using var scope = NewDisposeScope();
            var g = p.grad!;
            if (decay && weightDecay != 0) p.mul_(decayFactor);
            m.mul_(beta1Scalar).add_(g, oneMinusBeta1);
            v.mul_(beta2Scalar).addcmul_(g, g, oneMinusBeta2);
            var denom = v.sqrt().div_(correction2).add_(eps, Scalars.One);
            p.addcdiv_(m, denom, negativeStepSize);
        }
    }

    /// <summary>The old MixedPrecision.PullWeights: one copy_ per parameter.</summary>
    public static void PullWeights(IReadOnlyList<(Tensor Master, Tensor Copy)> pairs)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (m, c) in pairs) c.copy_(m);
    }

    /// <summary>The old MixedPrecision.AccumulateGradients: an add_ and a zero_ per parameter.</summary>
    public static void AccumulateGradients(IReadOnlyList<(Tensor Master, Tensor Copy)> pairs)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (m, c) in pairs)
        {
            if (c.grad is not { } g) continue;
            m.grad!.add_(g, Scalars.One);
            g.zero_();
        }
    }

    public void Dispose()
    {
        foreach (var s in slots)
        {
            s.ExpAvg.Dispose();
            s.ExpAvgSq.Dispose();
        }
        foreach (var s in new[] { beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, eps }) s.Dispose();
    }
}
