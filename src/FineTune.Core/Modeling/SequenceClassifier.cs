using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FineTune.Core.Modeling;

/// <summary>
/// What the training loop, checkpoints and the CLI need from any encoder family's classifier:
/// (input_ids, attention_mask, token_type_ids) -> logits, its config, and its Hugging Face names.
/// BERT is the first family; DistilBERT, RoBERTa or ModernBERT add a subclass and a case in <see cref="ModelFactory"/>.
/// </summary>
public abstract class SequenceClassifier(string name) : Module<Tensor, Tensor, Tensor, Tensor>(name)
{
    public abstract ModelConfig Config { get; }

    /// <summary>The name written to config.json "architectures", e.g. BertForSequenceClassification.</summary>
    public abstract string Architecture { get; }

    /// <summary>The base model's attribute name ("bert"): checkpoints of the bare encoder omit it.</summary>
    public abstract string BaseModelPrefix { get; }

    /// <summary>
    /// The name prefix of each encoder layer's parameters, in forward order, for per-layer backward hooks (gradient
    /// buckets); empty when this family places none.
    /// </summary>
    public virtual IReadOnlyList<string> LayerParameterPrefixes() => [];

    /// <summary>Sets (or clears, with null) a function called with each encoder layer's index and input in forward; the layer gets what it returns.</summary>
    public virtual void SetLayerInputHook(Func<int, Tensor, Tensor>? hook) { }
}
