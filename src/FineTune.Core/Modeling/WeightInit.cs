using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FineTune.Core.Modeling;

/// <summary>
/// Hugging Face's _init_weights for the parameters a checkpoint did not provide (the fresh classification head):
/// Linear and Embedding ~ N(0, initializer_range), biases 0, LayerNorm 1/0, the padding embedding 0.
/// A generator seeded from the job seed, walked in parameter order, makes every process build identical weights.
/// </summary>
public static class WeightInit
{
    public static void Initialize(SequenceClassifier model, IReadOnlySet<string> names, long seed)
    {
        if (names.Count == 0) return;
        var std = model.Config.InitializerRange;
        using var generator = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var one = 1.0f.ToScalar();
        foreach (var (moduleName, module) in model.named_modules())
        {
            string Full(string p) => moduleName.Length == 0 ? p : $"{moduleName}.{p}";
            foreach (var (paramName, p) in module.named_parameters(recurse: false))
            {
                if (!names.Contains(Full(paramName))) continue;
                switch (module, paramName)
                {
                    case (LayerNorm, "weight"): p.fill_(one); break;
                    case (_, "bias"): p.zero_(); break;
                    case (Embedding, "weight"):
                        p.normal_(0, std, generator);
                        var padding = PaddingIndex(model, Full(paramName));
                        if (padding is long row) p[row].zero_();
                        break;
                    default: p.normal_(0, std, generator); break;
                }
            }
        }
    }

    static long? PaddingIndex(SequenceClassifier model, string name) =>
        name.EndsWith("word_embeddings.weight", StringComparison.Ordinal) && model.Config is Bert.BertConfig c ? c.PadTokenId : null;
}
