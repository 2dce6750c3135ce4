using FineTune.Core.Data;

namespace FineTune.Core.Tests.Data;

public class TokenizedDatasetTests
{
    static readonly LabeledExample[] Examples =
    [
        new("w0 w1 w2", null, 1),
        new("a", null, 0),
        new("w3 w4", "b c d", 2),
        new(DataFixtures.Words(40), null, 1),       // truncated to max length
        new(DataFixtures.Words(30), DataFixtures.Words(30, 5), 0), // pair truncated longest-first
    ];

    [Fact]
    public void Builds_compact_ids_with_lengths_labels_and_segments()
    {
        var tokenizer = DataFixtures.Tokenizer();
        var data = TokenizedDataset.Build(Examples, tokenizer, maxLength: 16);

        Assert.Equal(5, data.Count);
        Assert.Equal([5, 3, 8, 16, 16], Enumerable.Range(0, 5).Select(data.Length));
        Assert.Equal(Enumerable.Range(0, 5).Sum(data.Length), data.TotalTokens);
        Assert.Equal([1, 0, 2, 1, 0], Enumerable.Range(0, 5).Select(data.Label));
        for (int i = 0; i < Examples.Length; i++)
        {
            var reference = tokenizer.Encode(Examples[i].Text, Examples[i].TextPair, 16);
            Assert.Equal(reference.InputIds, data.InputIds(i).ToArray());
            // Token type 1 exactly from SecondSegmentStart on.
            Assert.Equal(reference.TokenTypeIds, Enumerable.Range(0, data.Length(i)).Select(t => t >= data.SecondSegmentStart(i) ? 1 : 0));
        }
        Assert.Equal(data.Length(0), data.SecondSegmentStart(0));
        Assert.Equal(4, data.SecondSegmentStart(2)); // [CLS] w3 w4 [SEP] | b c d [SEP]
    }

    [Fact]
    public void Round_trips_through_write_and_read()
    {
        var data = TokenizedDataset.Build(Examples, DataFixtures.Tokenizer(), 16);
        var stream = new MemoryStream();
        data.Write(stream);
        Assert.Equal(20 + 3 * 4 * data.Count + 4 * data.TotalTokens, stream.Length);
        Assert.Equal("FTTD"u8.ToArray(), stream.ToArray()[..4]);

        stream.Position = 0;
        var read = TokenizedDataset.Read(stream);
        AssertSame(data, read);
    }

    [Fact]
    public void Read_rejects_damaged_streams()
    {
        var stream = new MemoryStream();
        TokenizedDataset.Build(Examples, DataFixtures.Tokenizer(), 16).Write(stream);
        var bytes = stream.ToArray();
        Assert.Throws<InvalidDataException>(() => TokenizedDataset.Read(new MemoryStream(bytes[..^4])));
        Assert.Throws<InvalidDataException>(() => TokenizedDataset.Read(new MemoryStream([.. "JUNK"u8, .. bytes[4..]])));
        var newer = (byte[])bytes.Clone();
        newer[4] = 2;
        Assert.Contains("version 2", Assert.Throws<InvalidDataException>(() => TokenizedDataset.Read(new MemoryStream(newer))).Message);
    }

    [Fact]
    public void Select_keeps_the_layout_in_the_given_order()
    {
        var data = TokenizedDataset.Build(Examples, DataFixtures.Tokenizer(), 16);
        var shard = data.Select([4, 2, 2]);
        Assert.Equal(3, shard.Count);
        Assert.Equal(data.Length(4) + 2 * data.Length(2), shard.TotalTokens);
        int[] from = [4, 2, 2];
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(data.InputIds(from[k]).ToArray(), shard.InputIds(k).ToArray());
            Assert.Equal(data.SecondSegmentStart(from[k]), shard.SecondSegmentStart(k));
            Assert.Equal(data.Label(from[k]), shard.Label(k));
        }
        Assert.Equal(0, data.Select([]).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Select([5]));
    }

    [Fact]
    public void Parallel_build_is_deterministic_across_chunks()
    {
        var many = Enumerable.Range(0, 9000).Select(i => new LabeledExample(DataFixtures.Words(1 + i % 37, i), i % 3 == 0 ? "a b" : null, i % 4)).ToArray();
        var tokenizer = DataFixtures.Tokenizer();
        var a = TokenizedDataset.Build(many, tokenizer, 32);
        var b = TokenizedDataset.Build(many, tokenizer, 32);
        AssertSame(a, b);
        Assert.Equal(many.Select(e => Math.Min(32, e.Text.Split(' ').Length + 2 + (e.TextPair is null ? 0 : 3))).Sum(), (int)a.TotalTokens);
        Assert.Equal(tokenizer.EncodeIds(many[8999].Text, 32), a.InputIds(8999).ToArray());
    }

    static void AssertSame(TokenizedDataset expected, TokenizedDataset actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.TotalTokens, actual.TotalTokens);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected.InputIds(i).ToArray(), actual.InputIds(i).ToArray());
            Assert.Equal(expected.SecondSegmentStart(i), actual.SecondSegmentStart(i));
            Assert.Equal(expected.Label(i), actual.Label(i));
        }
    }
}
