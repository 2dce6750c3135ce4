using FineTune.Core.Data;

namespace FineTune.Core.Tests.Data;

public class BatchingTests
{
    const int Pad = 0; // [PAD] in the fixture vocabulary

    static TokenizedDataset Small() => TokenizedDataset.Build(
        [new("w0 w1 w2", null, 1), new("a", null, 0), new("w3 w4", "b c", 2)], DataFixtures.Tokenizer(), 16);

    [Fact]
    public void Dynamic_padding_pads_to_the_longest_in_the_batch()
    {
        var data = Small(); // lengths 5, 3, 7
        var batch = Batching.Collate(data, [1, 0], Padding.Dynamic, 16, Pad);
        Assert.Equal((2, 5, 8L), (batch.Size, batch.Width, batch.RealTokens));
        Assert.Equal([2, 5, 3, Pad, Pad, /**/ 2, 9, 10, 11, 3], batch.InputIds);
        Assert.Equal([1, 1, 1, 0, 0, /**/ 1, 1, 1, 1, 1], batch.AttentionMask);
        Assert.Equal(new long[10], batch.TokenTypeIds);
        Assert.Equal([0L, 1L], batch.Labels);
    }

    [Fact]
    public void Max_length_padding_pads_to_max_length_with_token_types_from_the_second_segment()
    {
        var data = Small();
        var batch = Batching.Collate(data, [2, 1], Padding.MaxLength, 8, Pad);
        Assert.Equal((2, 8, 10L), (batch.Size, batch.Width, batch.RealTokens));
        Assert.Equal([2, 12, 13, 3, 6, 7, 3, Pad, /**/ 2, 5, 3, Pad, Pad, Pad, Pad, Pad], batch.InputIds);
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 0, /**/ 1, 1, 1, 0, 0, 0, 0, 0], batch.AttentionMask);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 0], batch.TokenTypeIds);
        Assert.Equal([2L, 0L], batch.Labels);
        Assert.Throws<ArgumentException>(() => Batching.Collate(data, [2], Padding.MaxLength, 4, Pad));
    }

    static TokenizedDataset Skewed(int n)
    {
        // Lengths from a long-tailed distribution, as real reviews have: most short, a few long.
        var random = new Random(7);
        var examples = Enumerable.Range(0, n)
            .Select(i => new LabeledExample(DataFixtures.Words(1 + (int)Math.Min(120, -25 * Math.Log(1 - random.NextDouble()))), null, i % 2))
            .ToArray();
        return TokenizedDataset.Build(examples, DataFixtures.Tokenizer(), 128);
    }

    [Fact]
    public void Epoch_order_is_a_seeded_permutation_that_changes_each_epoch()
    {
        var data = Skewed(300);
        int[] indices = [.. Enumerable.Range(0, 300).Where(i => i % 3 != 0)]; // e.g. one rank's shard
        foreach (bool grouped in new[] { false, true })
        {
            var epoch0 = Batching.EpochOrder(data, indices, 0, 42, grouped, 8);
            Assert.Equal(indices, epoch0.Order());
            Assert.Equal(epoch0, Batching.EpochOrder(data, indices, 0, 42, grouped, 8));
            Assert.NotEqual(epoch0, Batching.EpochOrder(data, indices, 1, 42, grouped, 8));
            Assert.NotEqual(epoch0, Batching.EpochOrder(data, indices, 0, 43, grouped, 8));
        }
    }

    [Fact]
    public void Grouping_by_length_wastes_less_padding_than_random_batches()
    {
        const int BatchSize = 16;
        var data = Skewed(4000);
        int[] all = [.. Enumerable.Range(0, data.Count)];
        var random = Batching.EpochOrder(data, all, 0, 42, groupByLength: false, BatchSize);
        var grouped = Batching.EpochOrder(data, all, 0, 42, groupByLength: true, BatchSize);

        double randomWaste = PaddingWaste(data, random, BatchSize), groupedWaste = PaddingWaste(data, grouped, BatchSize);
        Assert.True(groupedWaste < randomWaste / 3, $"padding share: grouped {groupedWaste:P1}, random {randomWaste:P1}");

        // The longest example leads, so an out-of-memory shows at the first step; megabatches run longest first.
        Assert.Equal(Enumerable.Range(0, data.Count).Max(data.Length), data.Length(grouped[0]));
        int megabatch = Batching.MegabatchMultiplier * BatchSize;
        for (int k = 2; k < megabatch; k++) Assert.True(data.Length(grouped[k - 1]) >= data.Length(grouped[k]));
    }

    static double PaddingWaste(TokenizedDataset data, int[] order, int batchSize)
    {
        long padded = 0, real = 0;
        for (int start = 0; start < order.Length; start += batchSize)
        {
            var batch = Batching.Collate(data, order.AsSpan(start, Math.Min(batchSize, order.Length - start)), Padding.Dynamic, 128, Pad);
            padded += (long)batch.Size * batch.Width;
            real += batch.RealTokens;
        }
        return 1 - (double)real / padded;
    }
}
