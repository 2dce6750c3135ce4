using FineTune.Core.Data;

namespace FineTune.Core.Tests.Data;

/// <summary>A dataset card's front matter: configs and dataset_info in every form datasets accepts, and its errors.</summary>
public class DatasetCardTests
{
    static DatasetCard Parse(string yaml) => DatasetCard.Parse($"---\n{yaml}\n---\n# Title\n", "org/data/README.md");

    [Fact]
    public void No_front_matter_or_no_known_keys_is_an_empty_card()
    {
        Assert.Equal(DatasetCard.Empty, DatasetCard.Parse("# Just a title\n---\nlicense: mit\n---\n", "r"));
        Assert.Equal(DatasetCard.Empty, DatasetCard.Parse("---\nno closing line\n", "r"));
        var card = Parse("license: mit\nlanguage: [en]");
        Assert.Empty(card.Configs);
        Assert.Empty(card.Infos);
        Assert.Empty(Parse("").Configs);
    }

    [Fact]
    public void Data_files_as_a_pattern_a_list_or_splits_with_paths()
    {
        var card = Parse("""
            configs:
            - config_name: one
              data_files: all/*.csv
            - config_name: many
              data_files:
              - a/*.csv
              - b/*.csv
            - config_name: splits
              default: true
              data_dir: data
              data_files:
              - split: train
                path:
                - train/part1/*
                - train/part2/*
              - split: test
                path: test/*
            - config_name: conventions
            """);
        Assert.Equal(["one", "many", "splits", "conventions"], card.Configs.Select(c => c.Name));
        Assert.Equal(["all/*.csv"], card.Configs[0].DataFiles!["train"]);
        Assert.Equal(["a/*.csv", "b/*.csv"], card.Configs[1].DataFiles!["train"]);
        var splits = card.Configs[2];
        Assert.True(splits.Default);
        Assert.Equal("data", splits.DataDir);
        Assert.Equal(["train", "test"], splits.DataFiles!.Keys);
        Assert.Equal(["train/part1/*", "train/part2/*"], splits.DataFiles["train"]);
        Assert.Equal(["test/*"], splits.DataFiles["test"]);
        Assert.False(card.Configs[0].Default);
        Assert.Null(card.Configs[3].DataFiles);
    }

    [Fact]
    public void Dataset_info_as_a_mapping_with_names_by_index()
    {
        var card = Parse("""
            dataset_info:
              config_name: yelp_review_full
              features:
              - name: label
                dtype:
                  class_label:
                    names:
                      '1': 2 star
                      '0': 1 star
                      2: 3 stars
              - name: text
                dtype: string
            """);
        var info = Assert.Single(card.Infos);
        Assert.Equal("yelp_review_full", info.ConfigName);
        Assert.Equal(["1 star", "2 star", "3 stars"], info.ClassLabels["label"]);
        Assert.False(info.ClassLabels.ContainsKey("text"));
    }

    [Fact]
    public void Dataset_info_as_a_list_with_names_as_a_list()
    {
        var card = Parse("""
            dataset_info:
            - config_name: cola
              features:
              - name: sentence
                dtype: string
              - name: label
                dtype:
                  class_label:
                    names: [unacceptable, acceptable]
            - config_name: sst2
              features:
              - name: label
                dtype: {class_label: {names: {'0': negative, '1': positive}}}
            """);
        Assert.Equal(["cola", "sst2"], card.Infos.Select(i => i.ConfigName));
        Assert.Equal(["unacceptable", "acceptable"], card.Infos[0].ClassLabels["label"]);
        Assert.Equal(["negative", "positive"], card.Infos[1].ClassLabels["label"]);
    }

    [Theory]
    [InlineData("configs:\n- config_name: a\n  data_files: [unclosed", "invalid YAML at line")]
    [InlineData("configs:\n  config_name: a", "line 3: 'configs' must be a list")]
    [InlineData("configs:\n- data_files: x.csv", "has no 'config_name'")]
    [InlineData("configs:\n- config_name: a\n  data_files: {train: x.csv}", "'data_files' must be a pattern")]
    [InlineData("configs:\n- config_name: a\n  data_files:\n  - split: train", "'data_files' must be a pattern")]
    [InlineData("configs:\n- config_name: a\n- config_name: a", "config 'a' is declared twice")]
    [InlineData("dataset_info: [1, 2]", "each 'dataset_info' entry must be a mapping")]
    [InlineData("dataset_info:\n  features:\n  - name: label\n    dtype: {class_label: {names: {'0': a, '2': c}}}", "must cover every index 0..2")]
    [InlineData("- just\n- a list", "must be a mapping of keys")]
    public void Malformed_front_matter_names_the_readme_and_the_problem(string yaml, string problem)
    {
        var e = Assert.Throws<InvalidInputException>(() => Parse(yaml));
        Assert.StartsWith("org/data/README.md: ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
