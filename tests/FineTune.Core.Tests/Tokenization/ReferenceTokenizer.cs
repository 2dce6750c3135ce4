using System.Text.Json;
using FineTune.Core.Tokenization;

namespace FineTune.Core.Tests.Tokenization;

/// <summary>
/// Hugging Face's own Rust tokenizers (through Tokenizers.DotNet), loaded from a tokenizer.json written here
/// for a given vocabulary and normalizer settings, the way Hugging Face writes one for BERT.
/// </summary>
internal sealed class ReferenceTokenizer : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bert-reference-").FullName;
    private readonly Tokenizers.DotNet.Tokenizer _tokenizer;

    public ReferenceTokenizer(IReadOnlyList<string> vocab, TokenizerOptions options)
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        WriteTokenizerJson(path, vocab, options);
        _tokenizer = new Tokenizers.DotNet.Tokenizer(vocabPath: path);
    }

    /// <summary>Ids of "[CLS] text [SEP]", untruncated.</summary>
    public int[] Encode(string text) => [.. _tokenizer.Encode(text).Select(id => checked((int)id))];

    public void Dispose()
    {
        _tokenizer.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    public static void WriteTokenizerJson(string path, IReadOnlyList<string> vocab, TokenizerOptions options)
    {
        var ids = vocab.Select((token, id) => (token, id)).ToDictionary(x => x.token, x => x.id);
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");

        w.WriteStartArray("added_tokens");
        foreach (string token in new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Where(ids.ContainsKey))
        {
            w.WriteStartObject();
            w.WriteNumber("id", ids[token]);
            w.WriteString("content", token);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("lstrip", false);
            w.WriteBoolean("rstrip", false);
            w.WriteBoolean("normalized", false);
            w.WriteBoolean("special", true);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartObject("normalizer");
        w.WriteString("type", "BertNormalizer");
        w.WriteBoolean("clean_text", options.CleanText);
        w.WriteBoolean("handle_chinese_chars", options.TokenizeChineseChars);
        if (options.StripAccents is bool strip)
            w.WriteBoolean("strip_accents", strip);
        else
            w.WriteNull("strip_accents");
        w.WriteBoolean("lowercase", options.DoLowerCase);
        w.WriteEndObject();

        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "BertPreTokenizer");
        w.WriteEndObject();

        w.WriteStartObject("post_processor");
        w.WriteString("type", "TemplateProcessing");
        w.WriteStartArray("single");
        WritePiece(w, "SpecialToken", "[CLS]", 0);
        WritePiece(w, "Sequence", "A", 0);
        WritePiece(w, "SpecialToken", "[SEP]", 0);
        w.WriteEndArray();
        w.WriteStartArray("pair");
        WritePiece(w, "SpecialToken", "[CLS]", 0);
        WritePiece(w, "Sequence", "A", 0);
        WritePiece(w, "SpecialToken", "[SEP]", 0);
        WritePiece(w, "Sequence", "B", 1);
        WritePiece(w, "SpecialToken", "[SEP]", 1);
        w.WriteEndArray();
        w.WriteStartObject("special_tokens");
        foreach (string token in new[] { "[CLS]", "[SEP]" })
        {
            w.WriteStartObject(token);
            w.WriteString("id", token);
            w.WriteStartArray("ids");
            w.WriteNumberValue(ids[token]);
            w.WriteEndArray();
            w.WriteStartArray("tokens");
            w.WriteStringValue(token);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteStartObject("decoder");
        w.WriteString("type", "WordPiece");
        w.WriteString("prefix", "##");
        w.WriteBoolean("cleanup", true);
        w.WriteEndObject();

        w.WriteStartObject("model");
        w.WriteString("type", "WordPiece");
        w.WriteString("unk_token", "[UNK]");
        w.WriteString("continuing_subword_prefix", "##");
        w.WriteNumber("max_input_chars_per_word", 100);
        w.WriteStartObject("vocab");
        foreach (var (token, id) in ids.OrderBy(x => x.Value))
            w.WriteNumber(token, id);
        w.WriteEndObject();
        w.WriteEndObject();

        w.WriteEndObject();
    }

    private static void WritePiece(Utf8JsonWriter w, string kind, string id, int typeId)
    {
        w.WriteStartObject();
        w.WriteStartObject(kind);
        w.WriteString("id", id);
        w.WriteNumber("type_id", typeId);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
