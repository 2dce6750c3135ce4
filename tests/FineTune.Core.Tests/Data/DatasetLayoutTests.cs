using FineTune.Core.Data;

namespace FineTune.Core.Tests.Data;

/// <summary>Which files each split uses, from a README's configs or by datasets' naming conventions, on file lists.</summary>
public class DatasetLayoutTests
{
    static DatasetSplits Select(string[] files, string? readme = null, string? config = null) =>
        DatasetLayout.Select(readme, files, config, "label", "org/data");

    static void AssertSplits(DatasetSplits splits, params (string Split, string[] Files)[] expected)
    {
        Assert.Equal(expected.Select(e => e.Split).Order(), splits.Files.Keys.Order());
        foreach (var (split, files) in expected) Assert.Equal(files, splits.Files[split]);
    }

    static string Invalid(Func<object> select) => Assert.Throws<InvalidInputException>(select).Message;

    const string Glue = """
        ---
        configs:
        - config_name: cola
          data_files:
          - split: train
            path: cola/train-*
          - split: validation
            path: cola/validation-*
        - config_name: sst2
          data_files:
          - split: train
            path: sst2/train-*
          - split: test
            path: sst2/test-*
        ---
        """;

    static readonly string[] GlueFiles =
        ["README.md", "cola/train-00000-of-00001.parquet", "cola/validation-00000-of-00001.parquet",
         "sst2/test-00000-of-00001.parquet", "sst2/train-00000-of-00001.parquet"];

    [Fact]
    public void The_named_config_gives_its_files()
    {
        var sst2 = Select(GlueFiles, Glue, "sst2");
        Assert.Equal("sst2", sst2.Config);
        AssertSplits(sst2, ("train", ["sst2/train-00000-of-00001.parquet"]), ("test", ["sst2/test-00000-of-00001.parquet"]));
        Assert.Equal(["sst2/test-00000-of-00001.parquet"], sst2.Eval);

        var cola = Select(GlueFiles, Glue, "cola");
        Assert.Equal(["cola/validation-00000-of-00001.parquet"], cola.Eval); // no test: validation
    }

    [Fact]
    public void Several_configs_without_a_default_are_refused_listing_them()
    {
        Assert.Equal("--dataset-config: org/data has several configs (cola, sst2); choose one", Invalid(() => Select(GlueFiles, Glue)));
        Assert.Equal("--dataset-config mrpc: org/data has no such config (cola, sst2)", Invalid(() => Select(GlueFiles, Glue, "mrpc")));
    }

    [Fact]
    public void The_default_config_else_the_only_one()
    {
        var marked = Glue.Replace("- config_name: sst2\n", "- config_name: sst2\n  default: true\n");
        Assert.Equal("sst2", Select(GlueFiles, marked).Config);
        var named = Glue.Replace("config_name: cola", "config_name: default");
        Assert.Equal("default", Select(GlueFiles, named).Config);
        var twoDefaults = named.Replace("- config_name: sst2\n", "- config_name: sst2\n  default: true\n");
        Assert.Contains("marks several configs as default (default, sst2)", Invalid(() => Select(GlueFiles, twoDefaults)));

        var only = "---\nconfigs:\n- config_name: only\n  data_files: \"*.csv\"\n---\n";
        var splits = Select(["b.csv", "a.csv", "sub/c.csv", "test.csv"], only);
        Assert.Equal("only", splits.Config);
        AssertSplits(splits, ("train", ["a.csv", "b.csv", "test.csv"])); // data_files without splits: all train
    }

    [Fact]
    public void A_config_for_a_dataset_without_configs_is_refused()
    {
        var message = Invalid(() => Select(["train.csv"], config: "sst2"));
        Assert.Contains("--dataset-config sst2: org/data has no configs", message);
    }

    [Fact]
    public void Double_star_crosses_folders_and_a_pattern_matching_nothing_names_itself_and_its_split()
    {
        var readme = "---\nconfigs:\n- config_name: c\n  data_files:\n  - split: train\n    path: data/**/*.jsonl\n  - split: test\n    path: [heldout/*.jsonl, extra/?.jsonl]\n---\n";
        string[] files = ["data/a/b/1.jsonl", "data/2.jsonl", "heldout/x.jsonl", "heldout/deep/y.jsonl", "extra/z.jsonl", "extra/zz.jsonl"];
        AssertSplits(Select(files, readme),
            ("train", ["data/2.jsonl", "data/a/b/1.jsonl"]), ("test", ["extra/z.jsonl", "heldout/x.jsonl"]));

        var message = Invalid(() => Select(["data/1.jsonl", "heldout/x.jsonl"], readme));
        Assert.Equal("org/data: config 'c', split 'test': data_files pattern 'extra/?.jsonl' matches no .csv, .jsonl, .json, .parquet file", message);
    }

    [Fact]
    public void Data_dir_roots_the_patterns_and_the_conventions()
    {
        var readme = "---\nconfigs:\n- config_name: en\n  data_dir: en\n  data_files: {split: train, path: '*.csv'}\n- config_name: fr\n  data_dir: fr\n---\n";
        readme = readme.Replace("{split: train, path: '*.csv'}", "[{split: train, path: '*.csv'}]");
        string[] files = ["en/a.csv", "fr/train.csv", "fr/test.csv", "train.csv"];
        AssertSplits(Select(files, readme, "en"), ("train", ["en/a.csv"]));
        AssertSplits(Select(files, readme, "fr"), ("train", ["fr/train.csv"]), ("test", ["fr/test.csv"]));
    }

    [Theory]
    [InlineData("[0-9]-x.csv", "7-x.csv", true)]
    [InlineData("[!0-9]-x.csv", "a-x.csv", true)]
    [InlineData("[!0-9]-x.csv", "7-x.csv", false)]
    [InlineData("*.csv", "a/b.csv", false)]
    [InlineData("**.csv", "a/b.csv", true)]
    [InlineData("**/b.csv", "b.csv", true)]
    [InlineData("a/**", "a/b/c.csv", true)]
    [InlineData("train-*", "TRAIN-0.csv", false)]
    [InlineData("a+b(1).csv", "a+b(1).csv", true)]
    public void Globs(string pattern, string path, bool matches) =>
        Assert.Equal(matches, DatasetGlob.ToRegex(pattern).IsMatch(path));

    [Fact]
    public void Conventions_file_names_with_a_split_keyword()
    {
        AssertSplits(Select(["train.csv", "test.csv", "validation.csv", "README.md"]),
            ("train", ["train.csv"]), ("test", ["test.csv"]), ("validation", ["validation.csv"]));
        // A keyword between separators, digits included; at any depth; sorted ordinally.
        AssertSplits(Select(["data/train_2.jsonl", "train1.jsonl", "my-train.jsonl", "pretrain.jsonl", "dev.jsonl", "eval.jsonl"]),
            ("train", ["data/train_2.jsonl", "my-train.jsonl", "train1.jsonl"]), ("validation", ["dev.jsonl"]), ("test", ["eval.jsonl"]));
    }

    [Fact]
    public void Conventions_folders_named_by_a_split_come_first()
    {
        AssertSplits(Select(["data/train/a.csv", "data/train/b.csv", "test/x.csv", "valid.csv"]),
            ("train", ["data/train/a.csv", "data/train/b.csv"]), ("test", ["test/x.csv"]));
    }

    [Fact]
    public void Conventions_hub_shards_in_data_come_first_with_any_split_name()
    {
        AssertSplits(Select(["data/train-00001-of-00002.parquet", "data/train-00000-of-00002.parquet", "data/random-00000-of-00001.parquet", "test.csv"]),
            ("train", ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]), ("random", ["data/random-00000-of-00001.parquet"]));
    }

    [Fact]
    public void Conventions_no_keyword_makes_every_data_file_train()
    {
        AssertSplits(Select(["reviews.csv", "more/reviews2.csv", "notes.txt"]), ("train", ["more/reviews2.csv", "reviews.csv"]));
        Assert.Empty(Select(["notes.txt", "README.md"]).Files);
    }

    [Fact]
    public void Hidden_and_metadata_files_never_count()
    {
        AssertSplits(Select([".hidden.csv", ".cache/huggingface/train.csv", "a/.test.csv", "dataset_info.json", "config.json", "__pycache__/test.csv", "train.csv"]),
            ("train", ["train.csv"]));
    }

    [Fact]
    public void Mixed_types_in_one_split_are_refused()
    {
        var message = Invalid(() => Select(["train.csv", "train.jsonl", "test.csv"]));
        Assert.Equal("org/data: holds train files of 2 types (train.csv, train.jsonl); keep one", message);
    }
}
