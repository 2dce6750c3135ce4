using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>
/// Every parameter's .grad is a view into one flat buffer, so backward accumulates straight into it and the all-reduce
/// sends one contiguous block (no copies). One extra trailing slot carries the step's loss in the same all-reduce.
/// </summary>
public sealed class FlatGradients : IDisposable
{
    readonly long parameterCount;

    public FlatGradients(IReadOnlyList<Tensor> parameters)
    {
        parameterCount = parameters.Sum(p => p.numel());
        Buffer = zeros(parameterCount + 1, dtype: parameters[0].dtype, device: parameters[0].device);
        long offset = 0;
        using (NewDisposeScope()) // the views' wrappers; each .grad keeps its own reference to the buffer
        {
            foreach (var p in parameters)
            {
                p.grad = Buffer.narrow(0, offset, p.numel()).view(p.shape);
                offset += p.numel();
            }
        }
        Gradients = Buffer.narrow(0, 0, parameterCount);
        LossSlot = Buffer.narrow(0, parameterCount, 1);
    }

    public Tensor Buffer { get; }
    public Tensor Gradients { get; }
    Tensor LossSlot { get; }

    /// <summary>The loss summed into the trailing slot (after the all-reduce: over every rank).</summary>
    public double Loss => LossSlot.item<float>();

    public void Zero() => Buffer.zero_();

    public void AddLoss(double value)
    {
        using var loss = value.ToScalar();
        LossSlot.add_(loss, Scalars.One);
    }

    /// <summary>
    /// torch.nn.utils.clip_grad_norm_'s global norm and factor: max/(norm+1e-6) when the norm exceeds max, else 1. The
    /// trainer hands the factor to <see cref="AdamW.Update"/>, which applies it as it reads each gradient: the same
    /// float product without a pass of its own over the buffer.
    /// </summary>
    public (double Norm, double Scale) ClipFactor(double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        double norm = Gradients.norm().item<float>();
        return (norm, maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0);
    }

    /// <summary>torch.nn.utils.clip_grad_norm_ in place: scales the gradients by <see cref="ClipFactor"/>; returns the norm before clipping.</summary>
    public double ClipGlobalNorm(double maxNorm)
    {
        var (norm, factor) = ClipFactor(maxNorm);
        if (factor != 1.0)
        {
            using var scale = factor.ToScalar();
            Gradients.mul_(scale);
        }
        return norm;
    }

    public void Dispose() => Buffer.Dispose();
}
