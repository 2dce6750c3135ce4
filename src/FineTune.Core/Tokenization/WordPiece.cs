using System.Runtime.InteropServices;

namespace FineTune.Core.Tokenization;

/// <summary>
/// Greedy longest-match-first WordPiece: a word becomes its longest vocabulary prefix, then "##"-prefixed
/// continuations; if any part cannot be matched the whole word is [UNK]. Read-only after construction,
/// so concurrent calls are safe.
/// </summary>
internal sealed class WordPiece
{
    public const int MaxInputCharsPerWord = 100;
    private const string Prefix = "##";

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _unkId;
    // The longest piece any vocabulary entry can match (without "##"); longer candidates are never tried.
    private readonly int _maxPieceLength;

    public WordPiece(Dictionary<string, int> vocab, int unkId)
    {
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _unkId = unkId;
        foreach (var token in vocab.Keys)
        {
            int length = token.StartsWith(Prefix, StringComparison.Ordinal) ? token.Length - Prefix.Length : token.Length;
            _maxPieceLength = Math.Max(_maxPieceLength, length);
        }
    }

    /// <summary>Appends the ids of one pre-tokenized word.</summary>
    public void Tokenize(ReadOnlySpan<char> word, List<int> ids)
    {
        // The limit counts code points (Rust counts chars), so an emoji counts once, not twice.
        if (word.Length > MaxInputCharsPerWord && CountCodePoints(word) > MaxInputCharsPerWord)
        {
            ids.Add(_unkId);
            return;
        }

        int first = ids.Count;
        // "##" + the current window of the word, so each candidate continuation is a prefix of this span.
        Span<char> piece = stackalloc char[Prefix.Length + Math.Min(word.Length, _maxPieceLength)];
        piece[0] = '#';
        piece[1] = '#';
        int start = 0;
        while (start < word.Length)
        {
            int end = Math.Min(word.Length, start + _maxPieceLength);
            if (end < word.Length && char.IsLowSurrogate(word[end]))
                end--; // never cut a surrogate pair
            if (start > 0)
                word[start..end].CopyTo(piece[Prefix.Length..]);

            int id = -1;
            while (end > start)
            {
                var candidate = start == 0 ? word[..end] : piece[..(Prefix.Length + end - start)];
                if (_lookup.TryGetValue(candidate, out id))
                    break;
                id = -1;
                // Step back one code point.
                end -= end - start >= 2 && char.IsLowSurrogate(word[end - 1]) ? 2 : 1;
            }
            if (id < 0)
            {
                CollectionsMarshal.SetCount(ids, first);
                ids.Add(_unkId);
                return;
            }
            ids.Add(id);
            start = end;
        }
    }

    private static int CountCodePoints(ReadOnlySpan<char> word)
    {
        int count = word.Length;
        foreach (char c in word)
        {
            if (char.IsLowSurrogate(c))
                count--;
        }
        return count;
    }
}
