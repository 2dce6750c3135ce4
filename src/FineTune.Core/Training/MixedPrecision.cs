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
/// </summary>
public sealed class MixedPrecision : IDisposable
{
    readonly SequenceClassifier master;
    readonly (Tensor Master, Tensor Copy)[] pairs; // by name; empty for fp32

    MixedPrecision(SequenceClassifier master, SequenceClassifier compute)
    {
        this.master = master;
        Compute = compute;
        if (ReferenceEquals(master, compute))
        {
            pairs = [];
            return;
        }
        var copies = compute.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        pairs = master.named_parameters().Select(p => ((Tensor)p.parameter, copies[p.name])).ToArray();
        PullWeights();
    }

    /// <summary>The module forward and backward run on: the model itself (fp32) or its bf16 copy.</summary>
    public SequenceClassifier Compute { get; }

    public bool IsMixed => pairs.Length > 0;

    /// <summary>The precision of <paramref name="model"/>'s forward and backward; the model must already be on its device.</summary>
    public static MixedPrecision For(SequenceClassifier model, string precision) => precision switch
    {
        "fp32" => new MixedPrecision(model, model),
        "bf16" => new MixedPrecision(model, BFloat16Copy(model)),
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
        if (pairs.Length == 0) return; // fp32: backward wrote into the master's gradients itself
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (m, c) in pairs)
        {
            if (c.grad is not { } g) continue; // a parameter this forward did not use
            m.grad!.add_(g, Scalars.One);
            g.zero_();
        }
    }

    /// <summary>After an optimizer step or any change of the master's weights: the copy takes them (rounded to bf16).</summary>
    public void PullWeights()
    {
        if (pairs.Length == 0) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (m, c) in pairs) c.copy_(m);
    }

    public void Dispose()
    {
        if (!ReferenceEquals(master, Compute)) Compute.Dispose();
    }
}
