using FineTune.Core.Data;

namespace FineTune.Core.Tests.Data;

/// <summary>The scale benchmark's generated dataset loads as the hub's yelp_review_full folder, with labels as defined.</summary>
public class YelpShapedDatasetTests
{
    // Sentences whose polarity can be read back from the text: "goodN." is positive, "badN." negative.
    static readonly (string, int)[] Sentences = [.. Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? $"good{i}." : $"bad{i}.", i % 2 == 0 ? 1 : 0))];

    [Fact]
    public void Generated_folder_loads_with_labels_from_the_share_of_positive_sentences()
    {
        var folder = YelpShapedDataset.Write(DataFixtures.TempDir(), Sentences, train: 200, test: 50, seed: 7);
        Assert.True(File.Exists(Path.Combine(folder, YelpShapedDataset.TrainFile)));
        Assert.True(File.Exists(Path.Combine(folder, YelpShapedDataset.TestFile)));

        var data = DatasetLoader.Load(new DatasetOptions { Dataset = folder });
        Assert.Equal(200, data.Train.Count);
        Assert.Equal(50, data.Eval.Count);
        Assert.Equal(["0", "1", "2", "3", "4"], data.LabelNames);
        foreach (var e in data.Train.Concat(data.Eval))
        {
            var words = e.Text.Split(' ');
            Assert.InRange(words.Length, YelpShapedDataset.MinSentences, YelpShapedDataset.MaxSentences);
            int positive = words.Count(w => w.StartsWith("good", StringComparison.Ordinal));
            Assert.Equal(YelpShapedDataset.Label(positive, words.Length), long.Parse(data.LabelNames[e.Label]));
        }
    }

    [Fact]
    public void Labels_round_halves_up_and_span_0_to_4()
    {
        Assert.Equal(0, YelpShapedDataset.Label(0, 5));
        Assert.Equal(1, YelpShapedDataset.Label(1, 8)); // 0.5
        Assert.Equal(2, YelpShapedDataset.Label(3, 6));
        Assert.Equal(4, YelpShapedDataset.Label(7, 8)); // 3.5
        Assert.Equal(4, YelpShapedDataset.Label(4, 4));
    }

    [Fact]
    public void Same_seed_same_rows()
    {
        var a = YelpShapedDataset.Write(DataFixtures.TempDir(), Sentences, 30, 10, seed: 1);
        var b = YelpShapedDataset.Write(DataFixtures.TempDir(), Sentences, 30, 10, seed: 1);
        var ra = DatasetLoader.ReadRows(a, new DatasetOptions());
        Assert.Equal(ra, DatasetLoader.ReadRows(b, new DatasetOptions()));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, YelpShapedDataset.TrainFile)), File.ReadAllBytes(Path.Combine(b, YelpShapedDataset.TrainFile)));
    }
}
