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
        Config = config;
        bert = new BertModel(config);
        dropout = Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
    }

    public override BertConfig Config { get; }
    public override string Architecture => "BertForSequenceClassification";
    public override string BaseModelPrefix => "bert";
    public BertModel Bert => bert;

    public override Tensor forward(Tensor input_ids, Tensor attention_mask, Tensor token_type_ids)
    {
        var (_, pooled) = bert.call(input_ids, attention_mask, token_type_ids);
        return classifier.call(dropout.call(pooled));
    }
}
