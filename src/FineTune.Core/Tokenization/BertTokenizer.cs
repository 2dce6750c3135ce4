using System.Buffers;

namespace FineTune.Core.Tokenization;

/// <summary>
/// BERT WordPiece tokenizer that gives the same ids as Hugging Face's BertTokenizerFast (Rust `tokenizers`):
/// normalize, split into words, WordPiece, then "[CLS] A [SEP]" or "[CLS] A [SEP] B [SEP]".
/// Immutable; safe to call from many threads at once.
/// </summary>
public sealed partial class BertTokenizer
{
    public const string UnkToken = "[UNK]";
    public const string ClsToken = "[CLS]";
    public const string SepToken = "[SEP]";
    public const string PadToken = "[PAD]";
    public const string MaskToken = "[MASK]";

    private readonly string[] _vocab;
    private readonly WordPiece _wordPiece;
    // Special tokens written literally in the text ("a [SEP] b") stay whole, as Hugging Face's added tokens do.
    private readonly (string Token, int Id)[] _specials;

    public TokenizerOptions Options { get; }
    public IReadOnlyList<string> Vocab => _vocab;
    public int PadId { get; }
    public int ClsId { get; }
    public int SepId { get; }
    public int UnkId { get; }
    /// <summary>The id of [MASK], or -1 when the vocabulary has none.</summary>
    public int MaskId { get; }

    public BertTokenizer(IReadOnlyList<string> vocab, TokenizerOptions? options = null)
        : this(vocab, options ?? new TokenizerOptions(), "In-memory vocabulary")
    {
    }

    // source names the vocabulary's origin in error messages.
    private BertTokenizer(IReadOnlyList<string> vocab, TokenizerOptions options, string source)
    {
        if (vocab.Count == 0)
            throw new TokenizerException($"{source}: the vocabulary is empty.");
        if (options.ModelMaxLength < 2)
            throw new ArgumentOutOfRangeException(nameof(options), "ModelMaxLength must leave room for [CLS] and [SEP].");

        _vocab = [.. vocab];
        var ids = new Dictionary<string, int>(_vocab.Length, StringComparer.Ordinal);
        for (int i = 0; i < _vocab.Length; i++)
            ids[_vocab[i]] = i; // a duplicated line maps to its last index, like Hugging Face's load_vocab

        string[] missing = [.. new[] { UnkToken, ClsToken, SepToken, PadToken }.Where(t => !ids.ContainsKey(t))];
        if (missing.Length > 0)
            throw new TokenizerException($"{source}: the vocabulary lacks the special token(s) {string.Join(", ", missing)}.");

        Options = options;
        UnkId = ids[UnkToken];
        ClsId = ids[ClsToken];
        SepId = ids[SepToken];
        PadId = ids[PadToken];
        MaskId = ids.GetValueOrDefault(MaskToken, -1);
        _wordPiece = new WordPiece(ids, UnkId);
        _specials = [.. new[] { PadToken, UnkToken, ClsToken, SepToken, MaskToken }
            .Where(ids.ContainsKey)
            .Select(t => (t, ids[t]))];
    }

    /// <summary>
    /// Encodes a text, or a pair (token type 1 for the second text and its [SEP]). Truncates to
    /// <paramref name="maxLength"/> (default <see cref="TokenizerOptions.ModelMaxLength"/>) with special tokens
    /// counted, then pads with [PAD] up to <paramref name="padTo"/> if given.
    /// </summary>
    public BertEncoding Encode(string text, string? textPair = null, int? maxLength = null, int? padTo = null)
    {
        int[] ids = EncodeToIds(text, textPair, maxLength ?? Options.ModelMaxLength, out int secondStart);
        return ToEncoding(ids, secondStart, padTo ?? 0);
    }

    /// <summary>Encodes many texts (or pairs: pairs[i] goes with texts[i]); optionally pads all to the longest.</summary>
    public IReadOnlyList<BertEncoding> EncodeBatch(
        IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null, int? maxLength = null, bool padToLongest = false)
    {
        if (pairs is not null && pairs.Count != texts.Count)
            throw new ArgumentException($"Got {texts.Count} texts but {pairs.Count} pairs.", nameof(pairs));

        int max = maxLength ?? Options.ModelMaxLength;
        var ids = new int[texts.Count][];
        var secondStarts = new int[texts.Count];
        for (int i = 0; i < texts.Count; i++)
            ids[i] = EncodeToIds(texts[i], pairs?[i], max, out secondStarts[i]);

        int padTo = padToLongest && ids.Length > 0 ? ids.Max(x => x.Length) : 0;
        var encodings = new BertEncoding[ids.Length];
        for (int i = 0; i < ids.Length; i++)
            encodings[i] = ToEncoding(ids[i], secondStarts[i], padTo);
        return encodings;
    }

    /// <summary>Fast path for training data: "[CLS] text [SEP]" ids, truncated to maxLength, no strings or masks.</summary>
    public int[] EncodeIds(string text, int maxLength) => EncodeSingle(text, maxLength);

    /// <summary>The word pieces of a text, without special tokens or truncation.</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var ids = new List<int>();
        AppendIds(text, ids, int.MaxValue);
        return [.. ids.Select(id => _vocab[id])];
    }

    // secondStart: where token type 1 begins (the array length for a single text).
    private int[] EncodeToIds(string text, string? pair, int maxLength, out int secondStart)
    {
        if (pair is not null)
            return EncodePair(text, pair, maxLength, out secondStart);
        int[] ids = EncodeSingle(text, maxLength);
        secondStart = ids.Length;
        return ids;
    }

    // Pads with [PAD] (attention 0, token type 0) up to padTo; never shortens.
    private BertEncoding ToEncoding(int[] ids, int secondStart, int padTo)
    {
        int length = Math.Max(ids.Length, padTo);
        var inputIds = new int[length];
        var mask = new int[length];
        var typeIds = new int[length];
        var tokens = new string[length];
        ids.CopyTo(inputIds, 0);
        inputIds.AsSpan(ids.Length).Fill(PadId);
        mask.AsSpan(0, ids.Length).Fill(1);
        typeIds.AsSpan(secondStart, ids.Length - secondStart).Fill(1);
        for (int i = 0; i < length; i++)
            tokens[i] = _vocab[inputIds[i]];
        return new BertEncoding(tokens, inputIds, mask, typeIds);
    }

    private int[] EncodeSingle(string text, int maxLength)
    {
        if (maxLength < 2)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "Must leave room for [CLS] and [SEP].");

        // Only the first maxLength - 2 pieces are kept, so stop tokenizing there.
        var ids = new List<int>(Math.Min(maxLength, text.Length / 3 + 8)) { ClsId };
        AppendIds(text, ids, maxLength - 1);
        ids.Add(SepId);
        return [.. ids];
    }

    private int[] EncodePair(string text, string pair, int maxLength, out int secondStart)
    {
        if (maxLength < 3)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "Must leave room for [CLS] and two [SEP].");

        var a = new List<int>();
        var b = new List<int>();
        AppendIds(text, a, int.MaxValue);
        AppendIds(pair, b, int.MaxValue);
        (int keepA, int keepB) = LongestFirst(a.Count, b.Count, maxLength - 3);

        var ids = new int[keepA + keepB + 3];
        ids[0] = ClsId;
        a.CopyTo(0, ids, 1, keepA);
        ids[keepA + 1] = SepId;
        b.CopyTo(0, ids, keepA + 2, keepB);
        ids[^1] = SepId;
        secondStart = keepA + 2;
        return ids;
    }

    /// <summary>
    /// Rust tokenizers' "longest_first" for a pair that does not fit: the shorter text keeps itself up to half of max
    /// (rounded down), the longer one gets the rest. Python's slow tokenizer trims one token at a time and can end
    /// one token apart from this when both are long.
    /// </summary>
    private static (int First, int Second) LongestFirst(int first, int second, int max)
    {
        if (first + second <= max)
            return (first, second);
        bool swap = first > second;
        int n1 = Math.Min(first, second);
        int n2 = n1 > max ? n1 : Math.Max(n1, max - n1);
        if (n1 + n2 > max)
        {
            n1 = max / 2;
            n2 = n1 + max % 2;
        }
        return swap ? (n2, n1) : (n1, n2);
    }

    /// <summary>Appends the word-piece ids of a text, stopping once ids holds <paramref name="limit"/> entries.</summary>
    private void AppendIds(string text, List<int> ids, int limit)
    {
        var rest = text.AsSpan();
        while (ids.Count < limit)
        {
            int at = FindSpecial(rest, out int specialLength, out int specialId);
            AppendSegment(at < 0 ? rest : rest[..at], ids, limit);
            if (at < 0 || ids.Count >= limit)
                break;
            ids.Add(specialId);
            rest = rest[(at + specialLength)..];
        }
        if (ids.Count > limit)
            ids.RemoveRange(limit, ids.Count - limit);
    }

    private void AppendSegment(ReadOnlySpan<char> text, List<int> ids, int limit)
    {
        if (text.IsEmpty)
            return;
        int length = BasicTokenizer.Normalize(text, Options, out char[] buffer);
        try
        {
            var normalized = buffer.AsSpan(0, length);
            int pos = 0;
            while (ids.Count < limit && BasicTokenizer.NextWord(normalized, ref pos, out var word))
                _wordPiece.Tokenize(word, ids);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>The leftmost special token written in the text (longest on a tie), or -1. All start with '['.</summary>
    private int FindSpecial(ReadOnlySpan<char> text, out int length, out int id)
    {
        length = 0;
        id = -1;
        int offset = 0;
        while (true)
        {
            int at = text[offset..].IndexOf('[');
            if (at < 0)
                return -1;
            at += offset;
            foreach (var (token, tokenId) in _specials)
            {
                if (token.Length > length && text[at..].StartsWith(token, StringComparison.Ordinal))
                {
                    length = token.Length;
                    id = tokenId;
                }
            }
            if (id >= 0)
                return at;
            offset = at + 1;
        }
    }
}
