using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FineTune.Core.Modeling;

/// <summary>
/// LayerNorm computed in float32 whatever the activations' dtype, as autocast runs it: in bf16 mixed precision the
/// LayerNorm parameters stay float32 (see Training/MixedPrecision), bf16 activations are normalised in float32 and
/// handed on in bf16. A plain LayerNorm call when everything is float32.
/// </summary>
public static class Float32Norm
{
    public static Tensor Apply(LayerNorm norm, Tensor x) =>
        x.dtype == ScalarType.Float32 ? norm.call(x) : norm.call(x.to_type(ScalarType.Float32)).to_type(x.dtype);
}
