using FineTune.Core.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>
/// The `precision` option. fp32: forward and backward run on the model itself and nothing here does anything.
/// bf16: mixed precision with fp32 master weights (Apex O2; what Hugging Face's bf16=True amounts to). The model the
/// rest of the system sees (checkpoints, exports, broadcasts, load-best) stays fp32 and is the master copy; forward
/// and backward run on a bf16 copy whose LayerNorms stay fp32 (<see cref="Float32Norm"/>), and the loss is computed
/// in fp32 by the caller. After each backward the copy's gradients are added into the master's fp32 gradients (the
/// flat buffer), so accumulation, the all-reduce, clipping, AdamW and its state are all fp32; after each optimizer
/// step the copy takes the new weights. TorchSharp has no autocast, so this is done by hand.
/// The copy's bf16 weights and gradients are two flat buffers in the master's layout, so taking the weights is one
/// copy_ and adding the gradients one add_; its fp32 LayerNorms share the master's weights and gradients outright.
/// </summary>
public sealed class MixedPrecision : IDisposable
{
    readonly SequenceClassifier master;
    readonly FlatParameters? masters;
    readonly Tensor? masterGradients, weights, gradients; // bf16 only: the copy's flat weights and gradients

    MixedPrecision(SequenceClassifier master, SequenceClassifier compute, FlatParameters? masters, FlatGradients? grads)
    {
        this.master = master;
        Compute = compute;
        if (masters is null || grads is null) return;
        this.masters = masters;
        masterGradients = grads.Gradients;
        weights = empty(masters.Count, dtype: ScalarType.BFloat16, device: masters.Buffer.device);
        gradients = zeros_like(weights);
        var copies = compute.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        using (NewDisposeScope())
        using (no_grad())
        {
            foreach (var slot in masters.Slots)
            {
                var c = copies[slot.Name];
                bool shared = c.dtype == ScalarType.Float32; // a LayerNorm: computes on the master's own weights
                c.set_(slot.In(shared ? masters.Buffer : weights));
                c.grad = slot.In(shared ? grads.Buffer : gradients); // backward writes the LayerNorms' straight into the master's
            }
        }
        PullWeights();
    }

    /// <summary>The module forward and backward run on: the model itself (fp32) or its bf16 copy.</summary>
    public SequenceClassifier Compute { get; }

    public bool IsMixed => weights is not null;

    /// <summary>
    /// The precision of <paramref name="model"/>'s forward and backward; the model must already be on its device and
    /// its parameters flat (<paramref name="masters"/>, gradients <paramref name="grads"/>).
    /// </summary>
    public static MixedPrecision For(SequenceClassifier model, string precision, FlatParameters masters, FlatGradients grads) => precision switch
    {
        "fp32" => new MixedPrecision(model, model, null, null),
        "bf16" => new MixedPrecision(model, BFloat16Copy(model), masters, grads),
        _ => throw new InvalidInputException($"--precision (precision) {precision}: not a training precision (choose fp32 or bf16)"),
    };

    /// <summary>A second model of the same config on the same device, in bf16 but for its LayerNorms.</summary>
    static SequenceClassifier BFloat16Copy(SequenceClassifier model)
    {
        var device = model.parameters().First().device;
        var copy = ModelFactory.CreateClassifier(model.Config);
        copy.to(ScalarType.BFloat16);
        foreach (var norm in copy.modules().OfType<LayerNorm>()) norm.to(ScalarType.Float32);
        copy.to(device);
        return copy;
    }

    /// <summary>After a backward: the copy's gradients are added into the master's (fp32) and cleared.</summary>
    public void AccumulateGradients()
    {
        if (gradients is null) return; // fp32: backward wrote into the master's gradients itself
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        masterGradients!.add_(gradients, Scalars.One); // the LayerNorms' slots are zero here: theirs are already in
        gradients.zero_();
    }

    /// <summary>After an optimizer step or any change of the master's weights: the copy takes them (rounded to bf16).</summary>
    public void PullWeights()
    {
        if (weights is null) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        weights.copy_(masters!.Buffer);
    }

    public void Dispose()
    {
        weights?.Dispose();
        gradients?.Dispose();
        if (!ReferenceEquals(master, Compute)) Compute.Dispose();
    }
}
