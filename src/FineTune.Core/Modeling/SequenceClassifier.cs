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
}
