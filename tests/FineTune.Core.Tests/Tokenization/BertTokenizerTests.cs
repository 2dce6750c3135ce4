using System.Globalization;
using System.Text;
using FineTune.Core.Tokenization;

namespace FineTune.Core.Tests.Tokenization;

using static FineTune.Core.Tests.Tokenization.TokenizerTexts;

/// <summary>
/// The reference is Hugging Face's Rust tokenizers (what BertTokenizerFast runs), given a tokenizer.json built here from
/// the same vocabulary and settings; ids must be equal. No vocabulary file is committed: the real bert-base-uncased one
/// comes from a package (EmbeddedVocab), the others are generated.
/// </summary>
public sealed class BertTokenizerTests
{
    private static readonly TokenizerOptions Uncased = new();


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
}
