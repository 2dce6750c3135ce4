using FineTune.Core.Arguments;
using FineTune.Core.Modeling;
using FineTune.Core.Torch;
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
    // The last two operations (the denominator and the step) run over ranges of at most this many elements, so their
    // scratch room is 64 MiB at most (a model-sized temporary would add a fourth model-sized buffer to the peak).
    public const long DenominatorRange = 1 << 24;
    readonly (Tensor Param, Tensor ExpAvg, Tensor ExpAvgSq, Tensor Denom)[] ranges;
    readonly Tensor oneMinusBeta1; // lerp_'s weight: TorchSharp 0.107 takes it only as a tensor
    // The elements weight decay skips (biases, LayerNorm): a few per mille, saved around the whole-buffer decay.
    readonly Tensor? kept;
    // On a CPU: the whole update in one pass (AdamWCpuKernel), over these blocks of decaying or non-decaying elements.
    readonly AdamWCpuKernel.Segment[]? cpuBlocks;
    readonly double beta1, beta2, weightDecay, epsilon;
    // The constants every step hands libtorch, owned here (a bare number would be a temporary Scalar: see Scalars).
    readonly Scalar beta2Scalar, oneMinusBeta2, eps;

    /// <param name="gradients">The gradients in the parameters' layout (<see cref="FlatGradients.Gradients"/>).</param>
    public AdamW(FlatParameters parameters, Tensor gradients, TrainingArguments args)
        : this(parameters, gradients, args, DenominatorRange, cpuKernel: true)
    {
    }

    /// <summary>
    /// With ranges of <paramref name="range"/> elements (tests: ranges that cut through parameters); without
    /// <paramref name="cpuKernel"/> a CPU buffer takes the libtorch calls too (tests: both paths agree).
    /// </summary>
    internal AdamW(FlatParameters parameters, Tensor gradients, TrainingArguments args, long range, bool cpuKernel)
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
        epsilon = args.AdamEpsilon;
        eps = epsilon.ToScalar();
        expAvg = zeros_like(parameters.Buffer);
        expAvgSq = zeros_like(parameters.Buffer);
        if (cpuKernel && parameters.Buffer.device_type == DeviceType.CPU && parameters.Buffer.dtype == ScalarType.Float32)
        {
            cpuBlocks = AdamWCpuKernel.Blocks(Segments(parameters.Slots));
            ranges = []; // the libtorch path's index and scratch are not needed
            return;
        }
        var skipped = parameters.Slots.Where(s => !Decays(s.Name)).SelectMany(s => Range(s.Offset, s.Length)).ToArray();
        if (skipped.Length > 0) kept = tensor(skipped, device: parameters.Buffer.device);
        long length = Math.Min(parameters.Count, range);
        using var scratch = empty(length, dtype: parameters.Buffer.dtype, device: parameters.Buffer.device);
        ranges = new (Tensor, Tensor, Tensor, Tensor)[(parameters.Count + length - 1) / length];
        for (int i = 0; i < ranges.Length; i++)
        {
            long start = i * length, n = Math.Min(length, parameters.Count - start);
            ranges[i] = (parameters.Buffer.narrow(0, start, n), expAvg.narrow(0, start, n), expAvgSq.narrow(0, start, n), scratch.narrow(0, 0, n));
        }
    }

    /// <summary>The slots as runs that decay or not, adjacent ones merged (the default model: 105 slots, 83 runs).</summary>
    static List<AdamWCpuKernel.Segment> Segments(IReadOnlyList<ParameterSlot> slots)
    {
        var runs = new List<AdamWCpuKernel.Segment>();
        foreach (var slot in slots)
        {
            bool decay = Decays(slot.Name);
            if (runs.Count > 0 && runs[^1].Decay == decay && runs[^1].Start + runs[^1].Count == slot.Offset)
                runs[^1] = runs[^1] with { Count = runs[^1].Count + slot.Length };
            else runs.Add(new AdamWCpuKernel.Segment(slot.Offset, slot.Length, decay));
        }
        return runs;
    }

    static IEnumerable<long> Range(long start, long count)
    {
        for (long i = 0; i < count; i++) yield return start + i;
    }

    /// <summary>Optimizer steps taken so far (the bias corrections depend on it).</summary>
    public int Step { get; private set; }

    /// <summary>Hugging Face's get_decay_parameter_names: everything but biases and LayerNorm parameters.</summary>
    public static bool Decays(string name) => !name.EndsWith(".bias", StringComparison.Ordinal) && !name.Contains("LayerNorm", StringComparison.Ordinal);

    /// <summary>
    /// One step: 3 libtorch calls on the whole buffers and 5 per 16 M-element range (+3 with weight decay and parameters
    /// it skips, +1 when clipping): 13 for a 22 M-parameter model, 38 for a 110 M one. On a CPU: one C# pass.
    /// </summary>
    /// <param name="gradientScale">A factor the gradients are multiplied by first, as they are read (gradient clipping's
    /// <see cref="FlatGradients.ClipFactor"/>); the gradient buffer itself is left as it is on a CPU.</param>
    public void Update(double learningRate, double gradientScale = 1.0)
    {
        Step++;
        double biasCorrection1 = 1 - Math.Pow(beta1, Step);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, Step));
        if (cpuBlocks is not null)
        {
            UpdateOnCpu(cpuBlocks, learningRate, gradientScale, biasCorrection1, biasCorrection2Sqrt);
            return;
        }
        using var correction2 = biasCorrection2Sqrt.ToScalar();
        using var negativeStepSize = (-learningRate / biasCorrection1).ToScalar();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var p = parameters.Buffer;
        if (gradientScale != 1.0)
        {
            using var scale = gradientScale.ToScalar();
            gradients.mul_(scale);
        }
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
        foreach (var (param, m, v, denom) in ranges)
        {
            denom.copy_(v).sqrt_().div_(correction2).add_(eps, Scalars.One);
            param.addcdiv_(m, denom, negativeStepSize);
        }
    }

    unsafe void UpdateOnCpu(AdamWCpuKernel.Segment[] blocks, double learningRate, double gradientScale, double biasCorrection1, double biasCorrection2Sqrt)
    {
        var constants = new AdamWCpuKernel.Constants((float)gradientScale, (float)(1 - learningRate * weightDecay), (float)(1 - beta1), (float)beta2,
            (float)(1 - beta2), (float)biasCorrection2Sqrt, (float)epsilon, (float)(-learningRate / biasCorrection1));
        if (weightDecay == 0) constants = constants with { DecayFactor = 1 };
        AdamWCpuKernel.Update(TensorMemory.Floats(parameters.Buffer, "AdamW", out _), TensorMemory.Floats(gradients, "AdamW", out _),
            TensorMemory.Floats(expAvg, "AdamW", out _), TensorMemory.Floats(expAvgSq, "AdamW", out _), blocks, constants, get_num_threads());
    }

    /// <summary>exp_avg.NAME and exp_avg_sq.NAME tensors, for checkpoints.</summary>
    public IEnumerable<TensorEntry> State()
    {
        foreach (var slot in parameters.Slots)
        {
            yield return TensorEntry.Of($"exp_avg.{slot.Name}", slot.Shape, () => slot.In(expAvg));
            yield return TensorEntry.Of($"exp_avg_sq.{slot.Name}", slot.Shape, () => slot.In(expAvgSq));
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
        foreach (var r in ranges)
            foreach (var t in new[] { r.Param, r.ExpAvg, r.ExpAvgSq, r.Denom }) t.Dispose();
        expAvg.Dispose();
        expAvgSq.Dispose();
        kept?.Dispose();
        oneMinusBeta1.Dispose();
        foreach (var s in new[] { beta2Scalar, oneMinusBeta2, eps }) s.Dispose();
    }
}
