using FineTune.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>Where one parameter lives in the flat buffers: its name, first element and shape.</summary>
public sealed record ParameterSlot(string Name, long Offset, long[] Shape)
{
    public long Length { get; } = NamedTensor.CountOf(Shape);

    /// <summary>This parameter's elements in <paramref name="flat"/>, any buffer of the same layout, in its shape.</summary>
    public Tensor In(Tensor flat) => flat.narrow(0, Offset, Length).view(Shape);
}

/// <summary>
/// Every parameter's storage re-pointed (Tensor.set_) at a view of one flat buffer, in named_parameters order: the layout
/// of <see cref="FlatGradients"/>, so one offset names a parameter's weight, gradient and AdamW state, and the optimizer
/// updates all of them in a few whole-buffer calls (one kernel launch each on a GPU, instead of several per parameter).
/// The modules keep their Parameter objects, so forward, named_parameters, checkpoints and every in-place write
/// (PretrainedModel.LoadWeights' copy_, broadcasts) see and write the buffer. Made once the model is on its device:
/// Module.to with another device or dtype would give the parameters new storage and cut them loose from the buffer.
/// </summary>
public sealed class FlatParameters : IDisposable
{
    public FlatParameters(IReadOnlyList<(string Name, Tensor Param)> parameters)
    {
        if (parameters.Count == 0) throw new ArgumentException("no parameters to flatten", nameof(parameters));
        var first = parameters[0].Param;
        var slots = new List<ParameterSlot>(parameters.Count);
        long offset = 0;
        foreach (var (name, p) in parameters)
        {
            if (p.dtype != first.dtype || p.device_type != first.device_type || p.device_index != first.device_index)
                throw new ArgumentException($"{name} is {p.dtype} on {p.device}, the first parameter {first.dtype} on {first.device}: one flat buffer holds one dtype on one device", nameof(parameters));
            slots.Add(new ParameterSlot(name, offset, p.shape));
            offset += p.numel();
        }
        Slots = slots;
        Count = offset;
        Buffer = empty(Count, dtype: first.dtype, device: first.device);
        using var scope = NewDisposeScope(); // the views' wrappers; each parameter keeps its own reference to the storage
        using var _ = no_grad(); // set_ on a leaf that requires grad is refused with grad mode on
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i].Param;
            var view = Slots[i].In(Buffer);
            view.copy_(p);
            p.set_(view);
        }
    }

    /// <summary>All parameters, back to back.</summary>
    public Tensor Buffer { get; }

    public IReadOnlyList<ParameterSlot> Slots { get; }

    /// <summary>Elements in all (the buffer's length).</summary>
    public long Count { get; }

    public void Dispose() => Buffer.Dispose(); // the parameters keep the storage alive for as long as the model lives
}
