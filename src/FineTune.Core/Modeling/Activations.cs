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

    static Tensor GeluTanh(Tensor x) =>
        0.5 * x * (1.0 + tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * pow(x, 3))));
}
