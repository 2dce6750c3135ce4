using TorchSharp;

namespace FineTune.Core;

/// <summary>
/// Scalars handed to libtorch, owned by managed code for as long as native code may read them.
/// A bare number passed where TorchSharp takes a <see cref="Scalar"/> becomes a temporary whose only owner is the
/// garbage collector: once the call has read its handle nothing keeps it alive, and the finalizer thread may free it
/// while libtorch still reads it (a use-after-free that surfaces as "Expected false to be true ... toFloat").
/// TorchSharp 0.107 does this inside its own overloads too: <c>a + b</c>, <c>a.add(b)</c>, <c>add_(b)</c> and
/// <c>add_(scalar)</c> pass a temporary alpha of 1. So code that runs repeatedly passes alpha explicitly, uses the
/// constants here, and owns any other Scalar with <c>using</c> (TorchSharp's dispose scopes track tensors, not Scalars).
/// </summary>
public static class Scalars
{
    /// <summary>The alpha of a plain sum (integer, so it also serves integer tensors).</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>The additive attention mask's value at padded positions (torch.finfo(float32).min).</summary>
    public static readonly Scalar FloatMin = float.MinValue.ToScalar();

    /// <summary>torch.finfo(bfloat16).min: float.MinValue would round to minus infinity in bf16.</summary>
    public static readonly Scalar BFloat16Min = (-3.3895313892515355e38).ToScalar();

    /// <summary>The most negative finite value of <paramref name="dtype"/> (float32 or bfloat16), for additive masks.</summary>
    public static Scalar MinOf(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float32 => FloatMin,
        torch.ScalarType.BFloat16 => BFloat16Min,
        _ => throw new ArgumentException($"no mask minimum for {dtype} (float32 or bfloat16)", nameof(dtype)),
    };
}
