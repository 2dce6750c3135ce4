using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FineTune.Core.Modeling.Pretrained;

/// <summary>
/// Writes the Hugging Face folder for the default model from the package's ONNX model and vocab:
/// config.json, model.safetensors, vocab.txt, tokenizer_config.json and special_tokens_map.json.
/// </summary>
internal static class DefaultModelConversion
{
    // The head count is not visible in the weights; all-MiniLM-L6-v2 uses 12 heads of 32.
    const int AttentionHeads = 12;

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string folder, byte[] onnx, byte[] vocab)
    {
        var tensors = OnnxWeights.ToBertStateDict(onnx);
        var config = Config(tensors);

        var vocabText = Encoding.UTF8.GetString(vocab).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (!vocabText.EndsWith('\n')) vocabText += "\n";
        var vocabLines = vocabText.Count(c => c == '\n');
        var vocabSize = config["vocab_size"]!.GetValue<int>();
        if (vocabLines != vocabSize)
            throw new InvalidDataException($"the default model's vocab has {vocabLines} entries but its word embeddings have {vocabSize} rows");

        // "format": "pt" is what transformers' own writer records, and its loader checks for it.
        SafeTensors.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        WriteJson(folder, "config.json", config);
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), vocabText);
        WriteJson(folder, "tokenizer_config.json", new JsonObject
        {
            ["do_lower_case"] = true,
            ["model_max_length"] = config["max_position_embeddings"]!.GetValue<int>(),
            ["tokenizer_class"] = "BertTokenizer",
            ["unk_token"] = "[UNK]",
            ["sep_token"] = "[SEP]",
            ["pad_token"] = "[PAD]",
            ["cls_token"] = "[CLS]",
            ["mask_token"] = "[MASK]",
            ["strip_accents"] = null,
            ["tokenize_chinese_chars"] = true,
        });
        WriteJson(folder, "special_tokens_map.json", new JsonObject
        {
            ["unk_token"] = "[UNK]",
            ["sep_token"] = "[SEP]",
            ["pad_token"] = "[PAD]",
            ["cls_token"] = "[CLS]",
            ["mask_token"] = "[MASK]",
        });
    }

    /// <summary>BertModel's config.json, with every size read from the tensors and checked against all of them.</summary>
    internal static JsonObject Config(IReadOnlyList<NamedTensor> tensors)
    {
        var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var words = byName["embeddings.word_embeddings.weight"].Shape;
        int vocab = (int)words[0], hidden = (int)words[1];
        var positions = (int)byName["embeddings.position_embeddings.weight"].Shape[0];
        var types = (int)byName["embeddings.token_type_embeddings.weight"].Shape[0];
        var intermediate = (int)byName["encoder.layer.0.intermediate.dense.weight"].Shape[0];
        var layers = (tensors.Count - 7) / 16; // OnnxWeights returns exactly 5 + 16 per layer + 2 tensors
        if (hidden % AttentionHeads != 0) throw new InvalidDataException($"hidden size {hidden} is not a multiple of {AttentionHeads} heads");

        foreach (var t in tensors)
        {
            long[] expected = t.Name switch
            {
                "embeddings.word_embeddings.weight" => [vocab, hidden],
                "embeddings.position_embeddings.weight" => [positions, hidden],
                "embeddings.token_type_embeddings.weight" => [types, hidden],
                _ when t.Name.EndsWith("intermediate.dense.weight", StringComparison.Ordinal) => [intermediate, hidden],
                _ when t.Name.EndsWith("intermediate.dense.bias", StringComparison.Ordinal) => [intermediate],
                _ when t.Name.EndsWith("output.dense.weight", StringComparison.Ordinal) && !t.Name.Contains("attention", StringComparison.Ordinal) => [hidden, intermediate],
                _ when t.Name.EndsWith(".weight", StringComparison.Ordinal) && !t.Name.Contains("LayerNorm", StringComparison.Ordinal) => [hidden, hidden],
                _ => [hidden],
            };
            if (!t.Shape.SequenceEqual(expected))
                throw new InvalidDataException($"'{t.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", expected)}]");
        }

        return new JsonObject
        {
            ["architectures"] = new JsonArray("BertModel"),
            ["model_type"] = "bert",
            ["hidden_size"] = hidden,
            ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = AttentionHeads,
            ["intermediate_size"] = intermediate,
            ["hidden_act"] = "gelu", // the graph computes the exact erf form
            ["hidden_dropout_prob"] = 0.1,
            ["attention_probs_dropout_prob"] = 0.1,
            ["max_position_embeddings"] = positions,
            ["type_vocab_size"] = types,
            ["vocab_size"] = vocab,
            ["initializer_range"] = 0.02,
            ["layer_norm_eps"] = 1e-12,
            ["pad_token_id"] = 0,
            ["position_embedding_type"] = "absolute",
            ["_name_or_path"] = "sentence-transformers/all-MiniLM-L6-v2",
        };
    }

    static void WriteJson(string folder, string file, JsonObject json) =>
        File.WriteAllText(Path.Combine(folder, file), json.ToJsonString(Indented) + "\n");
}
