using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FineTune.Core.Modeling.Bert;

/// <summary>BERT with a classification head: logits = classifier(dropout(pooler_output)).</summary>
public sealed class BertForSequenceClassification : SequenceClassifier
{
    readonly BertModel bert;
    readonly Dropout dropout;
    readonly Linear classifier;

    public BertForSequenceClassification(BertConfig config) : base(nameof(BertForSequenceClassification))
    {
        this.config = config;
        bert = new BertModel(config);
        dropout = Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
    }

    // Not a covariant override (BertConfig Config): TorchSharp's Module.to(dtype) indexes members by name and a
    // covariant override shows reflection two properties named Config, which made it throw.
    readonly BertConfig config;
    public override ModelConfig Config => config;
    public override string Architecture => "BertForSequenceClassification";
    public override string BaseModelPrefix => "bert";
    public BertModel Bert => bert;

    public override IReadOnlyList<string> LayerParameterPrefixes() =>
        [.. Enumerable.Range(0, config.NumHiddenLayers).Select(i => $"{BaseModelPrefix}.encoder.layer.{i}.")];

    public override void SetLayerInputHook(Func<int, Tensor, Tensor>? hook) => bert.Encoder.LayerInputHook = hook;

    public override Tensor forward(Tensor input_ids, Tensor attention_mask, Tensor token_type_ids)
    {
        var (_, pooled) = bert.call(input_ids, attention_mask, token_type_ids);
        return classifier.call(dropout.call(pooled));
    }
}
