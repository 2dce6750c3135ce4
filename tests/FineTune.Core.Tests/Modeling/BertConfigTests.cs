using System.Text.Json.Nodes;
using FineTune.Core.Modeling;
using FineTune.Core.Modeling.Bert;

namespace FineTune.Core.Tests.Modeling;

public class BertConfigTests
{
    // bert-base-cased's real config.json: names BertForMaskedLM, carries keys this model does not use.
    const string BertBaseCased = """
        {"architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": false,
         "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02,
         "intermediate_size": 3072, "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert",
         "num_attention_heads": 12, "num_hidden_layers": 12, "pad_token_id": 0, "position_embedding_type": "absolute",
         "transformers_version": "4.6.0.dev0", "type_vocab_size": 2, "use_cache": true, "vocab_size": 28996}
        """;

    static BertConfig Parse(string json) => new((JsonObject)JsonNode.Parse(json)!);

    [Fact]
    public void Reads_bert_base_cased_and_ignores_unknown_keys()
    {
        var c = Parse(BertBaseCased);
        Assert.Equal(768, c.HiddenSize);
        Assert.Equal(12, c.NumHiddenLayers);
        Assert.Equal(12, c.NumAttentionHeads);
        Assert.Equal(3072, c.IntermediateSize);
        Assert.Equal(28996, c.VocabSize);
        Assert.Equal(512, c.MaxPositionEmbeddings);
        Assert.Equal(1e-12, c.LayerNormEps);
        Assert.Equal("gelu", c.HiddenAct);
        Assert.Null(c.ClassifierDropout);
        Assert.Equal(["LABEL_0", "LABEL_1"], c.Id2Label); // Hugging Face's default when there is no id2label
    }

    [Fact]
    public void Reads_labels_from_id2label()
    {
        var c = Parse("""{"model_type": "bert", "id2label": {"1": "pos", "0": "neg"}, "classifier_dropout": 0.2}""");
        Assert.Equal(["neg", "pos"], c.Id2Label);
        Assert.Equal(0.2, c.ClassifierDropout);
    }

    [Theory]
    [InlineData("""{"model_type": "roberta"}""", "model_type 'roberta' is not supported")]
    [InlineData("""{"model_type": "bert", "position_embedding_type": "relative_key"}""", "position_embedding_type 'relative_key' is not supported")]
    [InlineData("""{"model_type": "bert", "is_decoder": true}""", "is_decoder true is not supported")]
    [InlineData("""{"model_type": "bert", "hidden_act": "swish"}""", "hidden_act 'swish' is not supported")]
    [InlineData("""{"model_type": "bert", "hidden_size": 100, "num_attention_heads": 12}""", "not a multiple of num_attention_heads")]
    [InlineData("""{"model_type": "bert", "hidden_size": "big"}""", "'hidden_size' has value \"big\"")]
    public void Refuses_what_it_cannot_honour(string json, string message)
    {
        var e = Assert.Throws<ModelFormatException>(() => Parse(json));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Model_type_decides_not_architectures()
    {
        var dir = TinyModels.TempDir();
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"architectures": ["BertForSequenceClassification"], "model_type": "distilbert"}""");
        var e = Assert.Throws<ModelFormatException>(() => ModelFactory.ReadConfig(Path.Combine(dir, "config.json")));
        Assert.Contains("model_type 'distilbert' is not supported", e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void Invalid_json_names_the_file()
    {
        var dir = TinyModels.TempDir();
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, "{ not json");
        var e = Assert.Throws<ModelFormatException>(() => ModelFactory.ReadConfig(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("invalid JSON", e.Message);
    }
}
