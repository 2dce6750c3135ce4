using System.Text.Json.Nodes;

namespace FineTune.Core.Modeling.Bert;

/// <summary>
/// Hugging Face's BertConfig, read from config.json. Keys this model does not use are kept (in Raw)
/// and ignored; values it cannot honour are refused, never silently approximated.
/// </summary>
public sealed class BertConfig : ModelConfig
{
    public static readonly string[] SupportedActivations = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"];

    public BertConfig(JsonObject raw, string path = "config.json") : base(raw, path)
    {
        if (ModelType != "bert")
            throw new ModelFormatException(path, $"model_type '{ModelType}' is not supported (supported: bert)");
        VocabSize = Get("vocab_size", 30522);
        HiddenSize = Get("hidden_size", 768);
        NumHiddenLayers = Get("num_hidden_layers", 12);
        NumAttentionHeads = Get("num_attention_heads", 12);
        IntermediateSize = Get("intermediate_size", 3072);
        HiddenAct = Get("hidden_act", "gelu");
        HiddenDropoutProb = GetDouble("hidden_dropout_prob", 0.1);
        AttentionProbsDropoutProb = GetDouble("attention_probs_dropout_prob", 0.1);
        MaxPositionEmbeddings = Get("max_position_embeddings", 512);
        TypeVocabSize = Get("type_vocab_size", 2);
        LayerNormEps = GetDouble("layer_norm_eps", 1e-12);
        initializerRange = GetDouble("initializer_range", 0.02);
        PadTokenId = Get("pad_token_id", 0);
        ClassifierDropout = Raw["classifier_dropout"] is null ? null : GetDouble("classifier_dropout", 0.1);

        if (!SupportedActivations.Contains(HiddenAct))
            throw new ModelFormatException(path, $"hidden_act '{HiddenAct}' is not supported (supported: {string.Join(", ", SupportedActivations)})");
        var positions = Get("position_embedding_type", "absolute");
        if (positions != "absolute")
            throw new ModelFormatException(path, $"position_embedding_type '{positions}' is not supported (supported: absolute)");
        if (Get("is_decoder", false))
            throw new ModelFormatException(path, "is_decoder true is not supported: this is an encoder for classification");
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            throw new ModelFormatException(path, $"hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}");
        foreach (var (key, value) in new[] { ("vocab_size", VocabSize), ("num_hidden_layers", NumHiddenLayers), ("intermediate_size", IntermediateSize), ("max_position_embeddings", MaxPositionEmbeddings), ("type_vocab_size", TypeVocabSize) })
            if (value <= 0) throw new ModelFormatException(path, $"{key} must be positive, got {value}");
    }

    readonly double initializerRange;

    public int VocabSize { get; }
    public int HiddenSize { get; }
    public int NumHiddenLayers { get; }
    public int NumAttentionHeads { get; }
    public int IntermediateSize { get; }
    public string HiddenAct { get; }
    public double HiddenDropoutProb { get; }
    public double AttentionProbsDropoutProb { get; }
    public int MaxPositionEmbeddings { get; }
    public int TypeVocabSize { get; }
    public double LayerNormEps { get; }
    public int PadTokenId { get; }
    public double? ClassifierDropout { get; }
    public override int MaxPositions => MaxPositionEmbeddings;
    public override double InitializerRange => initializerRange;

    /// <summary>A small config for tests and experiments (same defaults as Hugging Face otherwise).</summary>
    public static BertConfig Create(int vocabSize, int hiddenSize, int layers, int heads, int intermediateSize, int maxPositions = 512, IReadOnlyList<string>? labels = null, string hiddenAct = "gelu")
    {
        var raw = new JsonObject
        {
            ["model_type"] = "bert",
            ["vocab_size"] = vocabSize,
            ["hidden_size"] = hiddenSize,
            ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = heads,
            ["intermediate_size"] = intermediateSize,
            ["hidden_act"] = hiddenAct,
            ["hidden_dropout_prob"] = 0.1,
            ["attention_probs_dropout_prob"] = 0.1,
            ["max_position_embeddings"] = maxPositions,
            ["type_vocab_size"] = 2,
            ["initializer_range"] = 0.02,
            ["layer_norm_eps"] = 1e-12,
            ["pad_token_id"] = 0,
            ["position_embedding_type"] = "absolute",
        };
        var config = new BertConfig(raw);
        if (labels is not null) config.SetLabels(labels);
        return config;
    }
}
