using FineTune.Core.Data;

namespace FineTune.Core.Tests.Data;

/// <summary>Seeded shuffles, subsets and the stratified eval split: deterministic, and pinned against algorithm changes.</summary>
public class SubsetAndSplitTests
{
    [Fact]
    public void Seeded_shuffle_is_pinned()
    {
        // Computed independently (SplitMix64 + Fisher-Yates from the end, j = high word of next * (i + 1)).
        Assert.Equal([8, 3, 6, 5, 4, 0, 9, 2, 1, 7], SeededShuffle.Permutation(10, 42));
        Assert.Equal([779, 365, 703, 482, 951, 563, 394, 172], SeededShuffle.Permutation(1000, 42)[..8]);
        Assert.Equal([6, 7, 0, 3, 5], SeededShuffle.Permutation(10, -1)[..5]);
        Assert.Empty(SeededShuffle.Permutation(0, 42));
        Assert.Equal([0], SeededShuffle.Permutation(1, 42));
    }

    [Fact]
    public void Seeded_shuffle_is_a_permutation_and_depends_on_the_seed()
    {
        var a = SeededShuffle.Permutation(500, 7);
        Assert.Equal(Enumerable.Range(0, 500), a.Order());
        Assert.Equal(a, SeededShuffle.Permutation(500, 7));
        Assert.NotEqual(a, SeededShuffle.Permutation(500, 8));
    }

    static string Folder(int trainCount, int testCount)
    {
        var dir = DataFixtures.TempDir();
        DataFixtures.JsonLines("train.jsonl", Enumerable.Range(0, trainCount).Select(i => ($"train {i}", i % 3)), dir);
        DataFixtures.JsonLines("test.jsonl", Enumerable.Range(0, testCount).Select(i => ($"test {i}", i % 3)), dir);
        return dir;
    }

    [Fact]
    public void Train_subset_is_the_first_n_of_the_seeded_permutation()
    {
        var dir = Folder(50, 20);
        var data = DatasetLoader.Load(new DatasetOptions { Dataset = dir, TrainSubset = 10, EvalSubset = 5 });
        Assert.Equal(SeededShuffle.Permutation(50, 42).Take(10).Select(i => $"train {i}"), data.Train.Select(e => e.Text));
        Assert.Equal(SeededShuffle.Permutation(20, 42).Take(5).Select(i => $"test {i}"), data.Eval.Select(e => e.Text));

        var other = DatasetLoader.Load(new DatasetOptions { Dataset = dir, TrainSubset = 10, Seed = 43 });
        Assert.Equal(SeededShuffle.Permutation(50, 43).Take(10).Select(i => $"train {i}"), other.Train.Select(e => e.Text));
        Assert.NotEqual(data.Train, other.Train);
        Assert.Equal(20, other.Eval.Count);
    }

    [Fact]
    public void Stratified_split_keeps_label_proportions_and_is_seeded()
    {
        // 100 / 50 / 10 examples of labels a / b / c; 20% held out.
        var rows = Enumerable.Range(0, 160).Select(i => (Text: $"t{i}", Label: i < 100 ? "a" : i < 150 ? "b" : "c")).ToList();
        var path = DataFixtures.Write("data.csv", "text,label\n" + string.Concat(rows.Select(r => $"{r.Text},{r.Label}\n")));

        var data = DatasetLoader.Load(new DatasetOptions { Dataset = path });
        Assert.Equal(32, data.Eval.Count); // ceil(0.2 * 160)
        int[] counts = [100, 50, 10];
        for (int label = 0; label < 3; label++)
            Assert.InRange(data.Eval.Count(e => e.Label == label), counts[label] * 0.2 - 1, counts[label] * 0.2 + 1);
        Assert.Equal(rows.Select(r => r.Text).Order(), data.Train.Concat(data.Eval).Select(e => e.Text).Order());
        Assert.Contains("20% of", data.EvalSource);
        Assert.Contains("seed 42", data.EvalSource);

        Assert.Equal(data.Eval, DatasetLoader.Load(new DatasetOptions { Dataset = path }).Eval);
        Assert.NotEqual(data.Eval.Select(e => e.Text), DatasetLoader.Load(new DatasetOptions { Dataset = path, Seed = 1 }).Eval.Select(e => e.Text));
    }

    [Fact]
    public void Stratified_split_leaves_every_label_in_training()
    {
        // y's share (0.67) rounds up to its only example, which stays in training instead.
        var path = DataFixtures.Write("data.csv", "text,label\na,x\nb,x\nc,y\n");
        var data = DatasetLoader.Load(new DatasetOptions { Dataset = path, EvalSplit = 0.5 });
        Assert.Equal([0], data.Eval.Select(e => e.Label));
        Assert.Contains(data.Train, e => e.Label == 1);
    }
}
