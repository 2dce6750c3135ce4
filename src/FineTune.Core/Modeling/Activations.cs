using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Modeling;

/// <summary>Hugging Face's ACT2FN names for the activations this project supports.</summary>
public static class Activations
{
    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),                     // exact, erf-based
        "gelu_new" or "gelu_pytorch_tanh" => GeluTanh,             // the tanh approximation (GPT-2, some BERTs)
        "relu" => x => nn.functional.relu(x),
        _ => throw new ArgumentException($"unsupported activation '{name}'", nameof(name)),
    };

    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), with every constant a kept Scalar (see Scalars).
    static readonly Scalar Three = 3.ToScalar(), Cubic = 0.044715.ToScalar(), SqrtTwoOverPi = Math.Sqrt(2.0 / Math.PI).ToScalar(), Half = 0.5.ToScalar();

    static Tensor GeluTanh(Tensor x) =>
        x.pow(Three).mul(Cubic).add(x, Scalars.One).mul(SqrtTwoOverPi).tanh().add(Scalars.One, Scalars.One).mul(x).mul(Half);
}
