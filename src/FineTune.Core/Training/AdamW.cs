using FineTune.Core.Arguments;
using FineTune.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter) exactly as torch.optim.AdamW computes it, with decoupled weight decay that Hugging Face
/// does not apply to biases and LayerNorm weights. Written out (rather than TorchSharp's optimizer) so its whole state
/// is two named tensors per parameter and a step count: easy to checkpoint, restore and compare across ranks.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly (string Name, Tensor Param, Tensor ExpAvg, Tensor ExpAvgSq, bool Decay)[] slots;
    readonly double beta1, beta2, weightDecay;
    // The constants every step hands libtorch, owned here (a bare number would be a temporary Scalar: see Scalars).
    readonly Scalar beta1Scalar, oneMinusBeta1, beta2Scalar, oneMinusBeta2, eps;

    public AdamW(IEnumerable<(string Name, Tensor Param)> parameters, TrainingArguments args)
    {
        beta1 = args.AdamBeta1;
        beta2 = args.AdamBeta2;
        weightDecay = args.WeightDecay;
        beta1Scalar = beta1.ToScalar();
        oneMinusBeta1 = (1 - beta1).ToScalar();
        beta2Scalar = beta2.ToScalar();
        oneMinusBeta2 = (1 - beta2).ToScalar();
        eps = args.AdamEpsilon.ToScalar();
        slots = parameters.Select(p => (p.Name, p.Param, zeros_like(p.Param), zeros_like(p.Param), Decays(p.Name))).ToArray();
    }

    /// <summary>Optimizer steps taken so far (the bias corrections depend on it).</summary>
    public int Step { get; private set; }

    /// <summary>Hugging Face's get_decay_parameter_names: everything but biases and LayerNorm parameters.</summary>
    public static bool Decays(string name) => !name.EndsWith(".bias", StringComparison.Ordinal) && !name.Contains("LayerNorm", StringComparison.Ordinal);

    public void Update(double learningRate)
    {
        Step++;
        double biasCorrection1 = 1 - Math.Pow(beta1, Step);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, Step));
        using var decayFactor = (1 - learningRate * weightDecay).ToScalar();
        using var correction2 = biasCorrection2Sqrt.ToScalar();
        using var negativeStepSize = (-learningRate / biasCorrection1).ToScalar();
        using var _ = no_grad();
        foreach (var (_, p, m, v, decay) in slots)
        {
            using var scope = NewDisposeScope();
            var g = p.grad ?? throw new InvalidOperationException("AdamW.Update before backward: a parameter has no gradient");
            if (decay && weightDecay != 0) p.mul_(decayFactor);
            m.mul_(beta1Scalar).add_(g, oneMinusBeta1);
            v.mul_(beta2Scalar).addcmul_(g, g, oneMinusBeta2);
            var denom = v.sqrt().div_(correction2).add_(eps, Scalars.One);
            p.addcdiv_(m, denom, negativeStepSize);
        }
    }

    /// <summary>exp_avg.NAME and exp_avg_sq.NAME tensors, for checkpoints.</summary>
    public IEnumerable<NamedTensor> State()
    {
        foreach (var (name, _, m, v, _) in slots)
        {
            yield return new NamedTensor($"exp_avg.{name}", m.shape, TensorData.Floats(m));
            yield return new NamedTensor($"exp_avg_sq.{name}", v.shape, TensorData.Floats(v));
        }
    }

    public void Load(IReadOnlyDictionary<string, NamedTensor> state, int step, string source)
    {
        using var _ = no_grad();
        foreach (var (name, _, m, v, _) in slots)
        {
            foreach (var (key, target) in new[] { ($"exp_avg.{name}", m), ($"exp_avg_sq.{name}", v) })
            {
                var t = state.GetValueOrDefault(key) ?? throw new InvalidInputException($"{source}: optimizer state has no '{key}'");
                if (!t.Shape.SequenceEqual(target.shape)) throw new InvalidInputException($"{source}: '{key}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", target.shape)}]");
                using var src = tensor(t.Data, t.Shape);
                target.copy_(src);
            }
        }
        Step = step;
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
