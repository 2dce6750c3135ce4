using FineTune.Core.Data;

namespace FineTune.Core.Tests.Data;

/// <summary>A folder that is a copy of a hub dataset repo loads as the hub id would: its card's configs and class names.</summary>
public class HubShapedFolderTests
{
    static readonly string YelpReadme = DataFixtures.YelpCard(650_000, 50_000);

    static readonly string[] YelpNames = ["1 star", "2 star", "3 stars", "4 stars", "5 stars"];

    /// <summary>Two train shards holding only labels 0, 2 and 4, and a test shard with all five.</summary>
    static string YelpFolder(long trainLabel = 4)
    {
        var dir = DataFixtures.TempDir();
        DataFixtures.Write("README.md", YelpReadme, dir);
        DataFixtures.Write(".gitattributes", "*.parquet filter=lfs\n", dir);
        var data = Path.Combine(dir, "yelp_review_full");
        DataFixtures.Parquet<long>(Path.Combine(data, "train-00001-of-00002.parquet"), [2L, trainLabel], ["c", "d"]);
        DataFixtures.Parquet<long>(Path.Combine(data, "train-00000-of-00002.parquet"), [0L, 2L, 4L], ["a", "b", "b2"]);
        DataFixtures.Parquet<long>(Path.Combine(data, "test-00000-of-00001.parquet"), [1L, 3L, 0L], ["e", "f", "g"]);
        return dir;
    }

    [Fact]
    public void Layout_of_the_folder_is_the_hub_repos_layout()
    {
        var dir = YelpFolder();
        var splits = DatasetFolder.Splits(dir, null, "label");
        Assert.Equal("yelp_review_full", splits.Config);
        Assert.Equal(YelpNames, splits.LabelNames);
        Assert.Equal(["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"], splits.Train.Select(Path.GetFileName));
        Assert.Equal([Path.Combine(dir, "yelp_review_full", "test-00000-of-00001.parquet")], splits.Eval);

        // The same rule on the repo's file list, as the hub download sees it.
        string[] repo = [".gitattributes", "README.md", "yelp_review_full/test-00000-of-00001.parquet",
            "yelp_review_full/train-00000-of-00002.parquet", "yelp_review_full/train-00001-of-00002.parquet"];
        var remote = DatasetLayout.Select(YelpReadme, repo, null, "label", "Yelp/yelp_review_full");
        Assert.Equal(["yelp_review_full/train-00000-of-00002.parquet", "yelp_review_full/train-00001-of-00002.parquet"], remote.Train);
        Assert.Null(DatasetLayout.Select(YelpReadme, repo, null, "stars", "x").LabelNames);
    }

    [Fact]
    public void Class_names_are_the_labels_even_when_the_rows_hold_only_some()
    {
        var loaded = DatasetLoader.Load(new DatasetOptions { Dataset = YelpFolder() });
        Assert.Equal(YelpNames, loaded.LabelNames);
        Assert.Equal([0, 2, 4, 2, 4], loaded.Train.Select(e => e.Label));
        Assert.Equal([1, 3, 0], loaded.Eval.Select(e => e.Label)); // labels the train split lacks
        Assert.Contains("train-*.parquet (2 files)", loaded.TrainSource);

        var subset = DatasetLoader.Load(new DatasetOptions { Dataset = YelpFolder(), TrainSubset = 2, NumLabels = 5 });
        Assert.Equal(YelpNames, subset.LabelNames);
    }

    [Fact]
    public void Labels_written_as_names_map_to_their_index()
    {
        var dir = DataFixtures.TempDir();
        DataFixtures.Write("README.md", "---\ndataset_info:\n  features:\n  - name: label\n    dtype: {class_label: {names: [neg, pos, mixed]}}\n---\n", dir);
        DataFixtures.Write("train.csv", "text,label\na,pos\nb,neg\nc,2\n", dir);
        var loaded = DatasetLoader.Load(new DatasetOptions { Dataset = dir, EvalSplit = 0 });
        Assert.Equal(["neg", "pos", "mixed"], loaded.LabelNames);
        Assert.Equal([1, 0, 2], loaded.Train.Select(e => e.Label));
    }

    [Fact]
    public void An_integer_label_out_of_range_names_file_row_and_range()
    {
        var dir = YelpFolder(trainLabel: 5);
        var e = Assert.Throws<InvalidInputException>(() => DatasetLoader.Load(new DatasetOptions { Dataset = dir }));
        Assert.Equal(
            $"{Path.Combine(dir, "yelp_review_full", "train-00001-of-00002.parquet")}: row 2: label 5 is out of range: the class labels are 0..4 (1 star, 2 star, 3 stars, 4 stars, 5 stars)",
            e.Message);
    }

    [Fact]
    public void Num_labels_is_checked_against_the_class_names()
    {
        var e = Assert.Throws<InvalidInputException>(() => DatasetLoader.Load(new DatasetOptions { Dataset = YelpFolder(), NumLabels = 3 }));
        Assert.Contains("--num-labels 3:", e.Message);
        Assert.Contains("has 5 labels (1 star, 2 star, 3 stars, 4 stars, 5 stars), as its dataset card names them", e.Message);
    }

    [Fact]
    public void Dataset_config_chooses_and_is_refused_where_there_are_none()
    {
        var dir = YelpFolder();
        Assert.Equal(YelpNames, DatasetLoader.Load(new DatasetOptions { Dataset = dir, Config = "yelp_review_full" }).LabelNames);
        var unknown = Assert.Throws<InvalidInputException>(() => DatasetLoader.Load(new DatasetOptions { Dataset = dir, Config = "plain" }));
        Assert.Equal($"--dataset-config plain: {dir} has no such config (yelp_review_full)", unknown.Message);

        var csv = DataFixtures.Write("data.csv", "text,label\na,0\nb,1\n");
        var file = Assert.Throws<InvalidInputException>(() => DatasetLoader.Load(new DatasetOptions { Dataset = csv, Config = "x" }));
        Assert.StartsWith($"--dataset-config x: {csv} is not a dataset folder", file.Message);
    }

    [Fact]
    public void Evaluate_rows_of_a_hub_shaped_folder_are_its_test_split()
    {
        var rows = DatasetLoader.ReadRows(YelpFolder(), new DatasetOptions());
        Assert.Equal([("e", null, "1"), ("f", null, "3"), ("g", null, "0")], rows);
    }
}
