using static TorchSharp.torch;

namespace FineTune.Core;

/// <summary>
/// A tensor's values copied into a managed array (checkpoints, state dicts), with the intermediate tensors (detach,
/// to CPU, contiguous, float32) owned by a dispose scope rather than left to the finalizer (see <see cref="Scalars"/>).
/// </summary>
public static class TensorData
{
    public static float[] Floats(Tensor t)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
    }
}
