using FineTune.Core.Arguments;
using FineTune.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter) exactly as torch.optim.AdamW computes it, with decoupled weight decay that Hugging Face
/// does not apply to biases and LayerNorm weights. Written out (rather than TorchSharp's optimizer) so its whole state
/// is two named tensors per parameter and a step count: easy to checkpoint, restore and compare across ranks.
/// Fused: the parameters, their gradients and exp_avg / exp_avg_sq are flat buffers of one layout
/// (<see cref="FlatParameters"/>), so a step is a handful of whole-buffer calls whatever the number of parameters.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly FlatParameters parameters;
    readonly Tensor gradients, expAvg, expAvgSq;
    readonly Tensor oneMinusBeta1; // lerp_'s weight: TorchSharp 0.107 takes it only as a tensor
    // The elements weight decay skips (biases, LayerNorm): a few per mille, saved around the whole-buffer decay.
    readonly Tensor? kept;
    readonly double beta1, beta2, weightDecay;
    // The constants every step hands libtorch, owned here (a bare number would be a temporary Scalar: see Scalars).
    readonly Scalar beta2Scalar, oneMinusBeta2, eps;

    /// <param name="gradients">The gradients in the parameters' layout (<see cref="FlatGradients.Gradients"/>).</param>
    public AdamW(FlatParameters parameters, Tensor gradients, TrainingArguments args)
    {
        if (gradients.numel() != parameters.Count) throw new ArgumentException($"{gradients.numel()} gradients for {parameters.Count} parameters", nameof(gradients));
        this.parameters = parameters;
        this.gradients = gradients;
        beta1 = args.AdamBeta1;
        beta2 = args.AdamBeta2;
        weightDecay = args.WeightDecay;
        oneMinusBeta1 = tensor((float)(1 - beta1), device: parameters.Buffer.device);
        beta2Scalar = beta2.ToScalar();
        oneMinusBeta2 = (1 - beta2).ToScalar();
        eps = args.AdamEpsilon.ToScalar();
        expAvg = zeros_like(parameters.Buffer);
        expAvgSq = zeros_like(parameters.Buffer);
        var skipped = parameters.Slots.Where(s => !Decays(s.Name)).SelectMany(s => Range(s.Offset, s.Length)).ToArray();
        if (skipped.Length > 0) kept = tensor(skipped, device: parameters.Buffer.device);
    }

    static IEnumerable<long> Range(long start, long count)
    {
        for (long i = 0; i < count; i++) yield return start + i;
    }

    /// <summary>Optimizer steps taken so far (the bias corrections depend on it).</summary>
    public int Step { get; private set; }

    /// <summary>Hugging Face's get_decay_parameter_names: everything but biases and LayerNorm parameters.</summary>
    public static bool Decays(string name) => !name.EndsWith(".bias", StringComparison.Ordinal) && !name.Contains("LayerNorm", StringComparison.Ordinal);

    /// <summary>One step: 7 libtorch calls on the whole buffers (10 with weight decay and parameters it skips).</summary>
    public void Update(double learningRate)
    {
        Step++;
        double biasCorrection1 = 1 - Math.Pow(beta1, Step);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, Step));
        using var correction2 = biasCorrection2Sqrt.ToScalar();
        using var negativeStepSize = (-learningRate / biasCorrection1).ToScalar();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var p = parameters.Buffer;
        if (weightDecay != 0)
        {
            // p *= 1 - lr * wd as torch does it, on every element, then the skipped ones put back bit for bit.
            using var decayFactor = (1 - learningRate * weightDecay).ToScalar();
            var skipped = kept is null ? null : p.index_select(0, kept);
            p.mul_(decayFactor);
            if (skipped is not null) p.index_copy_(0, kept!, skipped);
        }
        expAvg.lerp_(gradients, oneMinusBeta1); // torch.optim.AdamW's exp_avg.lerp_(grad, 1 - beta1)
        expAvgSq.mul_(beta2Scalar).addcmul_(gradients, gradients, oneMinusBeta2);
        var denom = expAvgSq.sqrt().div_(correction2).add_(eps, Scalars.One);
        p.addcdiv_(expAvg, denom, negativeStepSize);
    }

    /// <summary>exp_avg.NAME and exp_avg_sq.NAME tensors, for checkpoints.</summary>
    public IEnumerable<NamedTensor> State()
    {
        foreach (var slot in parameters.Slots)
        {
            yield return new NamedTensor($"exp_avg.{slot.Name}", slot.Shape, FlatParameters.Floats(expAvg, slot));
            yield return new NamedTensor($"exp_avg_sq.{slot.Name}", slot.Shape, FlatParameters.Floats(expAvgSq, slot));
        }
    }

    public void Load(IReadOnlyDictionary<string, NamedTensor> state, int step, string source)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var slot in parameters.Slots)
        {
            foreach (var (key, flat) in new[] { ($"exp_avg.{slot.Name}", expAvg), ($"exp_avg_sq.{slot.Name}", expAvgSq) })
            {
                var t = state.GetValueOrDefault(key) ?? throw new InvalidInputException($"{source}: optimizer state has no '{key}'");
                if (!t.Shape.SequenceEqual(slot.Shape)) throw new InvalidInputException($"{source}: '{key}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", slot.Shape)}]");
                slot.In(flat).copy_(tensor(t.Data, t.Shape));
            }
        }
        Step = step;
    }

    public void Dispose()
    {
        expAvg.Dispose();
        expAvgSq.Dispose();
        kept?.Dispose();
        oneMinusBeta1.Dispose();
        foreach (var s in new[] { beta2Scalar, oneMinusBeta2, eps }) s.Dispose();
    }
}
