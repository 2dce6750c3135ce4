using System.Text.Json;

namespace FineTune.Core.Tokenization;

// Reading and writing Hugging Face tokenizer folders: vocab.txt, tokenizer.json, tokenizer_config.json.
public sealed partial class BertTokenizer
{
    /// <summary>
    /// Loads a Hugging Face BERT tokenizer folder. The vocabulary comes from vocab.txt, else from tokenizer.json's
    /// WordPiece model. Settings: Hugging Face defaults, overridden by tokenizer.json's BertNormalizer, overridden
    /// by tokenizer_config.json (do_lower_case, strip_accents, tokenize_chinese_chars, model_max_length).
    /// </summary>
    public static BertTokenizer FromFolder(string dir)
    {
        if (!Directory.Exists(dir))
            throw new TokenizerException($"Tokenizer folder '{dir}' does not exist.");

        string vocabPath = Path.Combine(dir, "vocab.txt");
        string jsonPath = Path.Combine(dir, "tokenizer.json");
        string configPath = Path.Combine(dir, "tokenizer_config.json");
        bool hasVocab = File.Exists(vocabPath);
        bool hasJson = File.Exists(jsonPath);
        if (!hasVocab && !hasJson)
            throw new TokenizerException($"Tokenizer folder '{dir}' has neither vocab.txt nor tokenizer.json.");

        var options = new TokenizerOptions();
        IReadOnlyList<string>? vocab = null;
        if (hasJson)
            (options, vocab) = ReadTokenizerJson(jsonPath, options, readVocab: !hasVocab);
        if (hasVocab)
            vocab = ReadVocabTxt(vocabPath);
        if (File.Exists(configPath))
            options = ReadTokenizerConfig(configPath, options);

        return new BertTokenizer(vocab!, options, $"'{(hasVocab ? vocabPath : jsonPath)}'");
    }

    /// <summary>Writes vocab.txt, tokenizer_config.json and special_tokens_map.json, readable by Hugging Face.</summary>
    public void Save(string dir)
    {
        int broken = Array.FindIndex(_vocab, t => t.Contains('\n') || t.Contains('\r'));
        if (broken >= 0)
            throw new TokenizerException($"Cannot save to '{dir}': token {broken} holds a line break, which vocab.txt cannot.");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "vocab.txt"), string.Join('\n', _vocab) + "\n");

        WriteJson(Path.Combine(dir, "tokenizer_config.json"), w =>
        {
            w.WriteBoolean("do_lower_case", Options.DoLowerCase);
            if (Options.StripAccents is bool strip)
                w.WriteBoolean("strip_accents", strip);
            else
                w.WriteNull("strip_accents");
            w.WriteBoolean("tokenize_chinese_chars", Options.TokenizeChineseChars);
            w.WriteNumber("model_max_length", Options.ModelMaxLength);
            w.WriteString("tokenizer_class", "BertTokenizer");
            WriteSpecialTokens(w);
        });
        WriteJson(Path.Combine(dir, "special_tokens_map.json"), WriteSpecialTokens);
    }

    private static void WriteSpecialTokens(Utf8JsonWriter w)
    {
        w.WriteString("unk_token", UnkToken);
        w.WriteString("sep_token", SepToken);
        w.WriteString("pad_token", PadToken);
        w.WriteString("cls_token", ClsToken);
        w.WriteString("mask_token", MaskToken);
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> writeProperties)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        writeProperties(w);
        w.WriteEndObject();
    }

    // One token per line, id = line index; File.ReadAllLines also strips the \r of CRLF files.
    private static string[] ReadVocabTxt(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
            throw new TokenizerException($"Vocabulary file '{path}' is empty.");
        return lines;
    }

    private static (TokenizerOptions, IReadOnlyList<string>?) ReadTokenizerJson(string path, TokenizerOptions options, bool readVocab)
    {
        using var doc = ParseJson(path);
        var root = doc.RootElement;

        if (root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind == JsonValueKind.Object)
        {
            string? type = normalizer.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (type != "BertNormalizer")
                throw new TokenizerException($"'{path}': normalizer type '{type}' is not supported (only BertNormalizer).");
            options = options with
            {
                CleanText = GetBool(normalizer, "clean_text") ?? true,
                TokenizeChineseChars = GetBool(normalizer, "handle_chinese_chars") ?? true,
                StripAccents = GetBool(normalizer, "strip_accents"),
                DoLowerCase = GetBool(normalizer, "lowercase") ?? true,
            };
        }

        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new TokenizerException($"'{path}' has no model.");
        string? modelType = model.TryGetProperty("type", out var mt) ? mt.GetString() : null;
        // Older files omit the model type; a WordPiece model is recognized by its prefix field.
        if (modelType is not null && modelType != "WordPiece")
            throw new TokenizerException($"'{path}': model type '{modelType}' is not supported (only WordPiece).");
        if (model.TryGetProperty("continuing_subword_prefix", out var prefix) && prefix.GetString() != "##")
            throw new TokenizerException($"'{path}': continuing_subword_prefix '{prefix.GetString()}' is not supported (only '##').");
        if (model.TryGetProperty("max_input_chars_per_word", out var maxChars) && maxChars.GetInt32() != WordPiece.MaxInputCharsPerWord)
            throw new TokenizerException($"'{path}': max_input_chars_per_word {maxChars.GetInt32()} is not supported (only 100).");
        if (!readVocab)
            return (options, null);

        if (!model.TryGetProperty("vocab", out var vocabJson) || vocabJson.ValueKind != JsonValueKind.Object)
            throw new TokenizerException($"'{path}' has no model.vocab object.");
        var entries = vocabJson.EnumerateObject().ToList();
        if (entries.Count == 0)
            throw new TokenizerException($"Vocabulary in '{path}' is empty.");
        var vocab = new string?[entries.Count];
        foreach (var entry in entries)
        {
            int id = entry.Value.GetInt32();
            if (id < 0 || id >= vocab.Length || vocab[id] is not null)
                throw new TokenizerException($"'{path}': token '{entry.Name}' has id {id}; ids must be 0..{vocab.Length - 1}, each used once.");
            vocab[id] = entry.Name;
        }
        return (options, vocab!);
    }

    private static TokenizerOptions ReadTokenizerConfig(string path, TokenizerOptions options)
    {
        using var doc = ParseJson(path);
        var root = doc.RootElement;
        if (GetBool(root, "do_lower_case") is bool lower)
            options = options with { DoLowerCase = lower };
        if (root.TryGetProperty("strip_accents", out _))
            options = options with { StripAccents = GetBool(root, "strip_accents") };
        if (GetBool(root, "tokenize_chinese_chars") is bool chinese)
            options = options with { TokenizeChineseChars = chinese };
        // Models without a limit store a huge float (1e30) here.
        if (root.TryGetProperty("model_max_length", out var max) && max.ValueKind == JsonValueKind.Number)
            options = options with { ModelMaxLength = (int)Math.Min(max.GetDouble(), int.MaxValue) };
        return options;
    }

    private static bool? GetBool(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }
}
