using FineTune.Core.Tokenization;

namespace FineTune.Core.Data;

/// <summary>
/// Tokenized examples stored compactly: every example's ids back to back in one int[] (no padding), an offset
/// per example, where its second segment starts, and its label. 650,000 reviews of ~180 tokens take ~470 MB,
/// not 650,000 x 512 ints; padding happens per batch in <see cref="Batching.Collate"/>.
/// </summary>
public sealed partial class TokenizedDataset
{
    readonly int[] _ids;
    readonly long[] _offsets;      // Count + 1 entries; example i is _ids[_offsets[i].._offsets[i + 1]]
    readonly int[] _secondStarts;  // index of the first token type 1 (== length for a single text)
    readonly int[] _labels;

    TokenizedDataset(int[] ids, long[] offsets, int[] secondStarts, int[] labels)
    {
        _ids = ids;
        _offsets = offsets;
        _secondStarts = secondStarts;
        _labels = labels;
    }

    /// <summary>No examples (an evaluation-only job's training set).</summary>
    public static TokenizedDataset Empty { get; } = new([], [0], [], []);

    public int Count => _labels.Length;
    public long TotalTokens => _offsets[^1];
    public int Length(int i) => (int)(_offsets[i + 1] - _offsets[i]);
    public ReadOnlySpan<int> InputIds(int i) => _ids.AsSpan((int)_offsets[i], Length(i));
    public int SecondSegmentStart(int i) => _secondStarts[i];
    public int Label(int i) => _labels[i];

    /// <summary>
    /// Tokenizes the examples ("[CLS] text [SEP]", or "[CLS] text [SEP] pair [SEP]" truncated longest-first),
    /// in parallel chunk by chunk; the result does not depend on the thread count. <paramref name="tokenized"/> is told
    /// the examples done after each chunk.
    /// </summary>
    public static TokenizedDataset Build(IReadOnlyList<LabeledExample> examples, BertTokenizer tokenizer, int maxLength, Action<int>? tokenized = null)
    {
        int n = examples.Count;
        var offsets = new long[n + 1];
        var secondStarts = new int[n];
        var labels = new int[n];
        var ids = new int[Math.Min(Array.MaxLength, Math.Max(16L, n * 64L))];
        long used = 0;

        // Chunks bound the memory of per-example arrays; each chunk is appended in example order.
        const int Chunk = 4096;
        var encoded = new int[Math.Min(Chunk, n)][];
        for (int start = 0; start < n; start += Chunk)
        {
            int count = Math.Min(Chunk, n - start);
            Parallel.For(0, count, k =>
            {
                var example = examples[start + k];
                if (example.TextPair is null)
                {
                    encoded[k] = tokenizer.EncodeIds(example.Text, maxLength);
                    secondStarts[start + k] = encoded[k].Length;
                }
                else
                {
                    var encoding = tokenizer.Encode(example.Text, example.TextPair, maxLength);
                    encoded[k] = encoding.InputIds;
                    int second = Array.IndexOf(encoding.TokenTypeIds, 1);
                    secondStarts[start + k] = second < 0 ? encoding.Length : second;
                }
                labels[start + k] = example.Label;
            });
            for (int k = 0; k < count; k++)
            {
                var row = encoded[k];
                if (used + row.Length > ids.Length)
                    Array.Resize(ref ids, (int)Math.Min(Array.MaxLength, Math.Max(used + row.Length, (long)ids.Length * 2)));
                row.CopyTo(ids, (int)used);
                used += row.Length;
                offsets[start + k + 1] = used;
                encoded[k] = null!;
            }
            tokenized?.Invoke(start + count);
        }
        Array.Resize(ref ids, (int)used);
        return new TokenizedDataset(ids, offsets, secondStarts, labels);
    }

    /// <summary>The given examples, in the given order (repeats allowed), as a dataset of their own.</summary>
    public TokenizedDataset Select(IReadOnlyList<int> indices)
    {
        var offsets = new long[indices.Count + 1];
        var secondStarts = new int[indices.Count];
        var labels = new int[indices.Count];
        for (int k = 0; k < indices.Count; k++)
        {
            int i = indices[k];
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"index {k} is outside 0..{Count - 1}");
            offsets[k + 1] = offsets[k] + Length(i);
            secondStarts[k] = _secondStarts[i];
            labels[k] = _labels[i];
        }
        var ids = new int[offsets[^1]];
        for (int k = 0; k < indices.Count; k++)
            InputIds(indices[k]).CopyTo(ids.AsSpan((int)offsets[k]));
        return new TokenizedDataset(ids, offsets, secondStarts, labels);
    }
}
