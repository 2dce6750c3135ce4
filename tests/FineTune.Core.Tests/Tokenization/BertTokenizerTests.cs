using System.Globalization;
using System.Text;
using FineTune.Core.Tokenization;

namespace FineTune.Core.Tests.Tokenization;

/// <summary>
/// The reference is Hugging Face's Rust tokenizers (what BertTokenizerFast runs), given a tokenizer.json built here from
/// the same vocabulary and settings; ids must be equal. No vocabulary file is committed: the real bert-base-uncased one
/// comes from a package (EmbeddedVocab), the others are generated.
/// </summary>
public sealed class BertTokenizerTests
{
    private static readonly TokenizerOptions Uncased = new();

    // Texts that exercise each normalization and splitting rule.
    public static readonly string[] EdgeCases =
    [
        "", " ", "   \t\n\r  ", "Hello, World!", "HELLO world MiXeD cAsE", "hello...world!!! ?!?",
        "café naïve Ångström résumé Crème Brûlée", "Mixed CASE With Accénts ÀÉÎÕÜ àéîõü ñ Ñ ç",
        "中文字符 and 漢字混在text中", "日本語のテキスト、カタカナ。ひらがな", "한국어 텍스트 입니다", "ภาษาไทย", "हिन्दी भाषा",
        "שָׁלוֹם עולם", "العربية مرحبا بكم", "Ελληνικά ΣΊΣΥΦΟΣ σοφός", "Русский ТЕКСТ ёлка", "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ１２３！",
        "I love it 👍🏽!!", "family: 👨‍👩‍👧‍👦 ok", "emoji🙂in🙂word", "❤️ ♥ ★ ✓", "flags 🇫🇷🇯🇵",
        "https://example.com/path/to?q=1&x=2#frag", "mail me at some.one+tag@example.org", "#hashtag @mention",
        "3.14 1,000 $5.99 50% 2nd 1st 10:30pm 2024-01-31 1e-5", "unaffable", "running jumped happily",
        new string('a', 100), new string('a', 101), "x" + new string('é', 99), "x" + new string('é', 100),
        string.Concat(Enumerable.Repeat("😀", 100)), string.Concat(Enumerable.Repeat("😀", 101)), string.Concat(Enumerable.Repeat("super", 20)) + "x",
        string.Concat(Enumerable.Repeat("antidisestablishmentarianism", 3)),
        "a\u0000b", "bell\u0007ring", "zero\u200bwidth", "bad\ufffdchar", "tab\there\nnewline\r\nwindows\vvertical\fform",
        "e\u0301 combining a\u0308o\u0308 n\u0303", "\u0301 leading mark", "İstanbul ıi İ", "straße STRASSE ẞ", "ﬁ ligature ǅ Ǆ",
        "line\u2028separator\u2029para", "nbsp\u00a0here", "ideographic\u3000space", "nel\u0085x", "soft\u00adhyphen",
        "private\ue000use\uf8ff", "\U000F0000 plane 15", "tag\U000E0041s", "variation\ufe0fselector", "Ωhm Kelvin K Å",
        "under_score snake_case", "don't can't won't", "“quoted” ‘single’ — dash – en… «guillemets»", "¿Qué? ¡Sí!",
        "greek varia a\u1FEFb and \u037E question", "[CLS] literal [SEP] tokens [MASK] and [mask] [UNK]x[PAD]", "[SEP[SEP]]",
        "CJK compat \uF900\uFA0B and ext \U00020000 \U0002B81F \U0002B820 \U0002B920 \U0002F800",
        string.Join(' ', Enumerable.Repeat("The quick brown fox jumps over the lazy dog.", 80)),
    ];

    [Fact]
    public void Uncased_real_vocab_matches_reference_on_edge_cases()
    {
        var vocab = EmbeddedVocab.BertBaseUncased;
        Assert.Equal(30522, vocab.Length);
        AssertMatchesReference(vocab, Uncased, EdgeCases);
    }

    [Fact]
    public void Uncased_real_vocab_matches_reference_on_generated_reviews()
    {
        var vocab = EmbeddedVocab.BertBaseUncased;
        AssertMatchesReference(vocab, Uncased, GenerateReviews(vocab, 2000, seed: 1));
    }

    public static TheoryData<bool, bool?, bool, bool> NormalizerSettings() => new()
    {
        { false, null, true, true },  // cased (bert-base-cased)
        { false, true, true, true },  // cased but accents stripped
        { true, false, true, true },  // lower-cased, accents kept
        { true, null, false, true },  // CJK not spaced out
        { false, null, true, false }, // no cleaning
        { true, null, true, false },
    };

    [Theory]
    [MemberData(nameof(NormalizerSettings))]
    public void Derived_vocab_matches_reference(bool lowerCase, bool? stripAccents, bool chinese, bool clean)
    {
        var texts = EdgeCases.Concat(GenerateReviews(EmbeddedVocab.BertBaseUncased, 500, seed: 2)).ToArray();
        var options = new TokenizerOptions(lowerCase, stripAccents, chinese, CleanText: clean);
        AssertMatchesReference(DeriveVocab(texts), options, texts);
    }

    // Every code point of planes 0-3 and 14 (and the edges of the private-use planes), inside a word, with a
    // vocabulary that has every character of planes 0-1 alone and as a "##" piece: this checks the character classes
    // (control, whitespace, punctuation, CJK, marks), lower-casing and decompositions one by one (see RustUnicode).
    [Theory]
    [InlineData(true, null, true)]
    [InlineData(false, null, true)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(false, null, false)]
    public void Every_code_point_matches_reference(bool lowerCase, bool? stripAccents, bool clean)
    {
        var chars = Enumerable.Range(1, 0x1FFFF).Where(cp => cp is < 0xD800 or > 0xDFFF).Select(char.ConvertFromUtf32).ToArray();
        string[] vocab = [.. new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Concat(chars).Concat(chars.Select(c => "##" + c)).Distinct()];
        var options = new TokenizerOptions(lowerCase, stripAccents, CleanText: clean);
        var tokenizer = new BertTokenizer(vocab, options);
        using var reference = new ReferenceTokenizer(vocab, options);

        var codePoints = Enumerable.Range(1, 0x3FFFF).Concat(Enumerable.Range(0xE0000, 0x1000))
            .Concat(Enumerable.Range(0xF0000, 0x100)).Concat(Enumerable.Range(0x10FF00, 0x100))
            .Where(cp => cp is < 0xD800 or > 0xDFFF);
        var failures = new List<string>();
        foreach (int[] chunk in codePoints.Chunk(1000))
        {
            string text = string.Join(" ", chunk.Select(cp => "x" + char.ConvertFromUtf32(cp) + "x"));
            if (reference.Encode(text).SequenceEqual(tokenizer.Encode(text, maxLength: int.MaxValue).InputIds))
                continue;
            foreach (int cp in chunk)
            {
                string word = "x" + char.ConvertFromUtf32(cp) + "x";
                int[] expected = reference.Encode(word);
                int[] actual = tokenizer.Encode(word, maxLength: int.MaxValue).InputIds;
                if (!expected.SequenceEqual(actual))
                    failures.Add($"U+{cp:X4} ({CharUnicodeInfo.GetUnicodeCategory(cp)}): expected {Show(expected, vocab)}, actual {Show(actual, vocab)}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} code points differ:\n" + string.Join("\n", failures.Take(60)));
    }

    [Fact]
    public void Known_bert_base_uncased_ids()
    {
        var tokenizer = new BertTokenizer(EmbeddedVocab.BertBaseUncased);
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], tokenizer.Encode("Hello, World!").InputIds);
        Assert.Equal((0, 100, 101, 102, 103), (tokenizer.PadId, tokenizer.UnkId, tokenizer.ClsId, tokenizer.SepId, tokenizer.MaskId));
    }

    // Hugging Face's own WordPiece example (tests/models/bert/test_tokenization_bert.py).
    [Fact]
    public void Tokenize_splits_into_longest_pieces()
    {
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ","];
        var tokenizer = new BertTokenizer(vocab);
        Assert.Equal(["un", "##want", "##ed", ",", "runn", "##ing"], tokenizer.Tokenize("UNwant\u00E9d,running"));
        Assert.Equal(["[UNK]", "runn", "##ing"], tokenizer.Tokenize("unwantedX running"));
        Assert.Empty(tokenizer.Tokenize(" \t\n"));
    }

    [Fact]
    public void Surrogate_pairs_are_never_split()
    {
        // The halves of U+1F600 are in the vocabulary, but a word may only be cut between code points.
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##a", "\uD83D", "##\uDE00", "😀", "##😀"];
        var tokenizer = new BertTokenizer(vocab);
        Assert.Equal(["a", "##😀", "##😀", "##a"], tokenizer.Tokenize("a😀😀a"));
        Assert.Equal(["😀"], tokenizer.Tokenize("😀"));
        var noEmoji = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##a", "\uD83D", "##\uDE00"]);
        Assert.Equal(["[UNK]"], noEmoji.Tokenize("a😀"));
        // A lone surrogate is what Rust sees as U+FFFD (invalid UTF-16 cannot become UTF-8), which cleaning drops.
        Assert.Equal(["a", "a"], noEmoji.Tokenize("a \uD83D a\uDE00"));
    }

    [Fact]
    public void Words_over_100_code_points_are_unknown()
    {
        var tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##a", "😀", "##😀"]);
        Assert.Equal(100, tokenizer.Tokenize(new string('a', 100)).Count);
        Assert.Equal(["[UNK]"], tokenizer.Tokenize(new string('a', 101)));
        // 100 emoji are 200 UTF-16 units but 100 code points: still within the limit.
        Assert.Equal(100, tokenizer.Tokenize(string.Concat(Enumerable.Repeat("😀", 100))).Count);
        Assert.Equal(["[UNK]"], tokenizer.Tokenize(string.Concat(Enumerable.Repeat("😀", 101))));
    }

    [Fact]
    public void Pairs_match_reference_halves_with_token_types()
    {
        var vocab = EmbeddedVocab.BertBaseUncased;
        var tokenizer = new BertTokenizer(vocab);
        using var reference = new ReferenceTokenizer(vocab, Uncased);
        var texts = GenerateReviews(vocab, 200, seed: 3).Concat(EdgeCases).ToArray();
        for (int i = 0; i + 1 < texts.Length; i += 2)
        {
            int[] a = reference.Encode(texts[i]);
            int[] b = reference.Encode(texts[i + 1]);
            var pair = tokenizer.Encode(texts[i], texts[i + 1], maxLength: int.MaxValue);
            Assert.Equal([.. a, .. b[1..]], pair.InputIds);
            Assert.Equal([.. a.Select(_ => 0), .. b[1..].Select(_ => 1)], pair.TokenTypeIds);
            Assert.All(pair.AttentionMask, m => Assert.Equal(1, m));
        }
    }

    // The table of Rust tokenizers' own test (utils/truncation.rs), max_length 7 plus 3 special tokens.
    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(0, 2, 0, 2)]
    [InlineData(0, 8, 0, 7)]
    [InlineData(2, 8, 2, 5)]
    [InlineData(4, 2, 4, 2)]
    [InlineData(4, 4, 3, 4)]
    [InlineData(4, 8, 3, 4)]
    [InlineData(8, 0, 7, 0)]
    [InlineData(8, 2, 5, 2)]
    [InlineData(8, 4, 4, 3)]
    [InlineData(8, 8, 3, 4)]
    public void Pair_truncation_is_longest_first(int first, int second, int keptFirst, int keptSecond)
    {
        var tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b"]);
        string a = string.Join(' ', Enumerable.Repeat("a", first));
        string b = string.Join(' ', Enumerable.Repeat("b", second));
        var encoding = tokenizer.Encode(a, b, maxLength: 10);
        string[] expected = ["[CLS]", .. Enumerable.Repeat("a", keptFirst), "[SEP]", .. Enumerable.Repeat("b", keptSecond), "[SEP]"];
        Assert.Equal(expected, encoding.Tokens);
        Assert.Equal(keptSecond + 1, encoding.TokenTypeIds.Sum());
    }

    [Fact]
    public void Single_truncation_keeps_the_first_pieces_and_both_specials()
    {
        var tokenizer = new BertTokenizer(EmbeddedVocab.BertBaseUncased);
        var full = tokenizer.Encode("The unaffable reviewer hated it.", maxLength: 512);
        var cut = tokenizer.Encode("The unaffable reviewer hated it.", maxLength: 5);
        Assert.Equal([.. full.Tokens[..4], "[SEP]"], cut.Tokens);
        Assert.StartsWith("##", full.Tokens[4]); // so the cut fell inside a word, as Hugging Face's does
        Assert.Equal(["[CLS]", "[SEP]"], tokenizer.Encode("anything", maxLength: 2).Tokens);
        Assert.Equal(["[CLS]", "[SEP]"], tokenizer.Encode("").Tokens);
        Assert.Equal(["[CLS]", "[SEP]", "[SEP]"], tokenizer.Encode("", "").Tokens);
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Encode("x", maxLength: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Encode("x", "y", maxLength: 2));
        // The default limit is the model's (512 for BERT).
        Assert.Equal(512, tokenizer.Encode(string.Join(' ', Enumerable.Repeat("word", 1000))).Length);
    }

    [Fact]
    public void EncodeIds_equals_Encode()
    {
        var vocab = EmbeddedVocab.BertBaseUncased;
        var tokenizer = new BertTokenizer(vocab);
        foreach (string text in GenerateReviews(vocab, 300, seed: 4).Concat(EdgeCases))
            Assert.Equal(tokenizer.Encode(text, maxLength: 16).InputIds, tokenizer.EncodeIds(text, 16));
    }

    [Fact]
    public void Padding_fills_with_pad_and_zero_mask()
    {
        var tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b"]);
        var encoding = tokenizer.Encode("a", "b", padTo: 8);
        Assert.Equal(["[CLS]", "a", "[SEP]", "b", "[SEP]", "[PAD]", "[PAD]", "[PAD]"], encoding.Tokens);
        Assert.Equal([2, 4, 3, 5, 3, 0, 0, 0], encoding.InputIds);
        Assert.Equal([1, 1, 1, 1, 1, 0, 0, 0], encoding.AttentionMask);
        Assert.Equal([0, 0, 0, 1, 1, 0, 0, 0], encoding.TokenTypeIds);
        Assert.Equal(5, tokenizer.Encode("a a a", padTo: 3).Length); // padding never truncates
    }

    [Fact]
    public void Batch_encodes_each_text_and_pads_to_the_longest()
    {
        var tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b"]);
        var plain = tokenizer.EncodeBatch(["a", "a a a"]);
        Assert.Equal([3, 5], plain.Select(e => e.Length));
        var padded = tokenizer.EncodeBatch(["a", "a a a", "b"], ["b", "b", "a a a a a"], maxLength: 8, padToLongest: true);
        Assert.All(padded, e => Assert.Equal(8, e.Length));
        Assert.Equal(tokenizer.Encode("a", "b", maxLength: 8, padTo: 8), padded[0], new EncodingComparer());
        Assert.Equal(tokenizer.Encode("b", "a a a a a", maxLength: 8), padded[2], new EncodingComparer());
        Assert.Empty(tokenizer.EncodeBatch([], padToLongest: true));
        Assert.Throws<ArgumentException>(() => tokenizer.EncodeBatch(["a"], ["b", "c"]));
    }

    [Fact]
    public void Special_tokens_written_in_text_stay_whole()
    {
        var tokenizer = new BertTokenizer(EmbeddedVocab.BertBaseUncased);
        Assert.Equal(["great", "[MASK]", "!", "[", "mask", "]"], tokenizer.Tokenize("great[MASK]! [mask]"));
    }

    [Fact]
    public void Concurrent_encoding_gives_the_same_ids()
    {
        var vocab = EmbeddedVocab.BertBaseUncased;
        var tokenizer = new BertTokenizer(vocab);
        var texts = GenerateReviews(vocab, 2000, seed: 5);
        var sequential = texts.Select(t => tokenizer.EncodeIds(t, 64)).ToArray();
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = tokenizer.EncodeIds(texts[i], 64));
        Assert.Equal(sequential, parallel);
    }

    [Fact]
    public void FromFolder_reads_a_crlf_vocab_txt_and_tokenizer_config()
    {
        using var dir = new TempDir();
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Hello", "hello", "world", "!"];
        File.WriteAllText(dir.File("vocab.txt"), string.Join("\r\n", vocab) + "\r\n");
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"do_lower_case": false, "model_max_length": 1000000000000000019884624838656}""");

        var tokenizer = BertTokenizer.FromFolder(dir.Path);
        Assert.Equal(vocab, tokenizer.Vocab);
        Assert.Equal(new TokenizerOptions(DoLowerCase: false, ModelMaxLength: int.MaxValue), tokenizer.Options);
        Assert.Equal(["[CLS]", "Hello", "world", "!", "[SEP]"], tokenizer.Encode("Hello world!").Tokens);
    }

    [Fact]
    public void FromFolder_reads_tokenizer_json_alone_and_config_overrides_it()
    {
        using var dir = new TempDir();
        var vocab = DeriveVocab(EdgeCases);
        var cased = new TokenizerOptions(DoLowerCase: false, StripAccents: true, TokenizeChineseChars: false, CleanText: false);
        ReferenceTokenizer.WriteTokenizerJson(dir.File("tokenizer.json"), vocab, cased);

        var loaded = BertTokenizer.FromFolder(dir.Path);
        Assert.Equal(vocab, loaded.Vocab);
        Assert.Equal(cased, loaded.Options);
        var inMemory = new BertTokenizer(vocab, cased);
        foreach (string text in EdgeCases)
            Assert.Equal(inMemory.Encode(text).InputIds, loaded.Encode(text).InputIds);

        File.WriteAllText(dir.File("tokenizer_config.json"), """{"do_lower_case": true, "strip_accents": null, "model_max_length": 128}""");
        Assert.Equal(cased with { DoLowerCase = true, StripAccents = null, ModelMaxLength = 128 }, BertTokenizer.FromFolder(dir.Path).Options);
    }

    [Fact]
    public void Save_then_FromFolder_round_trips()
    {
        using var dir = new TempDir();
        Assert.Throws<TokenizerException>(() => new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a\nb"]).Save(dir.Path));

        var vocab = DeriveVocab(EdgeCases).Where(t => !t.Contains('\n') && !t.Contains('\r')).ToArray();
        var tokenizer = new BertTokenizer(vocab, new TokenizerOptions(DoLowerCase: false, StripAccents: true, ModelMaxLength: 256));
        tokenizer.Save(dir.Path);

        Assert.DoesNotContain('\r', File.ReadAllText(dir.File("vocab.txt")));
        var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("tokenizer_config.json"))).RootElement;
        Assert.False(config.GetProperty("do_lower_case").GetBoolean());
        Assert.Equal("BertTokenizer", config.GetProperty("tokenizer_class").GetString());
        Assert.Equal("[MASK]", config.GetProperty("mask_token").GetString());
        Assert.True(File.Exists(dir.File("special_tokens_map.json")));

        var loaded = BertTokenizer.FromFolder(dir.Path);
        Assert.Equal(tokenizer.Vocab, loaded.Vocab);
        Assert.Equal(tokenizer.Options with { CleanText = true }, loaded.Options);
        foreach (string text in EdgeCases)
            Assert.Equal(tokenizer.Encode(text).InputIds, loaded.Encode(text).InputIds);
    }

    [Fact]
    public void FromFolder_errors_name_the_folder_or_file()
    {
        using var dir = new TempDir();
        var missing = Assert.Throws<TokenizerException>(() => BertTokenizer.FromFolder(dir.Path));
        Assert.Contains(dir.Path, missing.Message);
        Assert.Contains("vocab.txt", missing.Message);
        Assert.Contains("tokenizer.json", missing.Message);

        string nowhere = System.IO.Path.Combine(dir.Path, "nowhere");
        Assert.Contains(nowhere, Assert.Throws<TokenizerException>(() => BertTokenizer.FromFolder(nowhere)).Message);

        File.WriteAllText(dir.File("vocab.txt"), "");
        var empty = Assert.Throws<TokenizerException>(() => BertTokenizer.FromFolder(dir.Path));
        Assert.Contains(dir.File("vocab.txt"), empty.Message);
        Assert.Contains("empty", empty.Message);

        File.WriteAllText(dir.File("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\nhello\n");
        var noSep = Assert.Throws<TokenizerException>(() => BertTokenizer.FromFolder(dir.Path));
        Assert.Contains(dir.File("vocab.txt"), noSep.Message);
        Assert.Contains("[SEP]", noSep.Message);

        File.WriteAllText(dir.File("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
        File.WriteAllText(dir.File("tokenizer_config.json"), "{ not json");
        Assert.Contains("tokenizer_config.json", Assert.Throws<TokenizerException>(() => BertTokenizer.FromFolder(dir.Path)).Message);

        Assert.Throws<TokenizerException>(() => new BertTokenizer([]));
        Assert.Contains("[UNK]", Assert.Throws<TokenizerException>(() => new BertTokenizer(["[PAD]", "[CLS]", "[SEP]"])).Message);
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("bert-tokenizer-").FullName;

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    private sealed class EncodingComparer : IEqualityComparer<BertEncoding>
    {
        public bool Equals(BertEncoding? x, BertEncoding? y) => x is not null && y is not null
            && x.Tokens.SequenceEqual(y.Tokens) && x.InputIds.SequenceEqual(y.InputIds)
            && x.AttentionMask.SequenceEqual(y.AttentionMask) && x.TokenTypeIds.SequenceEqual(y.TokenTypeIds);

        public int GetHashCode(BertEncoding obj) => obj.Length;
    }

    private static void AssertMatchesReference(IReadOnlyList<string> vocab, TokenizerOptions options, IEnumerable<string> texts)
    {
        var tokenizer = new BertTokenizer(vocab, options);
        using var reference = new ReferenceTokenizer(vocab, options);
        var failures = new List<string>();
        int count = 0;
        foreach (string text in texts)
        {
            count++;
            int[] expected = reference.Encode(text);
            int[] actual = tokenizer.Encode(text, maxLength: int.MaxValue).InputIds;
            if (!expected.SequenceEqual(actual))
                failures.Add($"{Escape(text)}\n  expected {Show(expected, vocab)}\n  actual   {Show(actual, vocab)}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} texts differ:\n" + string.Join("\n", failures.Take(40)));
    }

    private static string Show(int[] ids, IReadOnlyList<string> vocab) =>
        string.Join(" ", ids.Take(30).Select(id => Escape(vocab[id]))) + (ids.Length > 30 ? $" ... ({ids.Length})" : "");

    private static string Escape(string s)
    {
        if (s.Length > 80)
            s = s[..80] + "…";
        var sb = new StringBuilder();
        foreach (var rune in s.EnumerateRunes())
        {
            if (rune.Value < 0x20 || rune.Value > 0x7E)
                sb.Append($"\\u{rune.Value:X4}");
            else
                sb.Append(rune.ToString());
        }
        return sb.ToString();
    }

    /// <summary>Review-like sentences: vocabulary words with casing, accents, punctuation, numbers, emoji and glued pieces.</summary>
    public static string[] GenerateReviews(IReadOnlyList<string> vocab, int count, int seed)
    {
        var random = new Random(seed);
        var words = vocab.Where(t => t.Length > 0 && char.IsLetter(t[0]) && !t.StartsWith("[")).ToArray();
        var pieces = vocab.Where(t => t.StartsWith("##")).Select(t => t[2..]).ToArray();
        string[] punctuation = [".", ",", "!", "?", "...", ";", ":", "'", "\"", "(", ")", "-", "—", "’", "…"];
        string[] emoji = ["👍", "👍🏽", "😀", "❤️", "🔥", "⭐⭐⭐⭐⭐", "👨‍👩‍👧", "🇺🇸"];
        string[] accented = ["café", "naïve", "Über", "résumé", "jalapeño", "Ångström", "fiancée", "São Paulo", "Zürich"];
        string[] odd = ["中文", "日本", "한국", "3.14", "1,000", "$20", "5/5", "10%", "B+", "2x", "100mph", "\t", "\n", "\u00a0"];

        var texts = new string[count];
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            sb.Clear();
            int length = random.Next(1, 40);
            for (int w = 0; w < length; w++)
            {
                string word = words[random.Next(words.Length)];
                int roll = random.Next(100);
                if (roll < 10)
                    word = CultureInfo.InvariantCulture.TextInfo.ToTitleCase(word);
                else if (roll < 13)
                    word = word.ToUpperInvariant();
                else if (roll < 18)
                    word += pieces[random.Next(pieces.Length)];
                else if (roll < 22)
                    word = accented[random.Next(accented.Length)];
                else if (roll < 26)
                    word = odd[random.Next(odd.Length)];
                else if (roll < 29)
                    word += emoji[random.Next(emoji.Length)];
                sb.Append(word);
                roll = random.Next(100);
                if (roll < 12)
                    sb.Append(punctuation[random.Next(punctuation.Length)]);
                sb.Append(roll < 95 ? " " : "");
            }
            texts[i] = sb.ToString();
        }
        return texts;
    }

    /// <summary>
    /// A small cased vocabulary from the texts themselves: most words with their case, every character alone
    /// and as a "##" piece, and a few word endings, so both whole-word and piece-by-piece matches happen.
    /// </summary>
    public static string[] DeriveVocab(IEnumerable<string> texts)
    {
        var tokens = new List<string> { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
        var seen = new HashSet<string>(tokens);
        void Add(string token)
        {
            if (token.Length > 0 && !token.EnumerateRunes().Contains(Rune.ReplacementChar) && seen.Add(token))
                tokens.Add(token);
        }

        int n = 0;
        foreach (string text in texts)
        {
            foreach (var rune in text.EnumerateRunes())
            {
                // Leave a few characters out so that some words become [UNK].
                if (rune.Value % 17 == 0)
                    continue;
                Add(rune.ToString());
                Add("##" + rune);
            }
            foreach (string word in text.Split([' ', '.', ',', '!', '?', '\'', '"', '(', ')'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (n++ % 3 != 0)
                    Add(word);
                if (word.Length > 4)
                    Add("##" + word[^3..]);
            }
        }
        return [.. tokens];
    }
}
