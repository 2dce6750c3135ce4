using FineTune.Core.Data;

namespace FineTune.Core.Tests.Data;

/// <summary>Each file format and folder layout reads into the same examples and labels.</summary>
public class DatasetReaderTests
{
    static IEnumerable<LabeledExample> All(LoadedDataset d) => d.Train.Concat(d.Eval);

    [Fact]
    public void Csv_with_bom_quotes_embedded_newlines_and_labels_1_to_5()
    {
        var path = DataFixtures.Write("reviews.csv",
            "label,text\r\n" +
            "5,\"Great, really \"\"great\"\" food\"\r\n" +
            "1,\"Awful.\nNever again.\"\r\n" +
            "3,plain text\r\n" +
            "2,\"two\"\r\n" +
            "4,four\r\n" +
            "\r\n" +
            "3,\"three, again\"\r\n",
            bom: true);

        var rows = DatasetLoader.ReadRows(path, new DatasetOptions());
        Assert.Equal(
            [("Great, really \"great\" food", null, "5"), ("Awful.\nNever again.", null, "1"), ("plain text", null, "3"),
             ("two", null, "2"), ("four", null, "4"), ("three, again", null, "3")],
            rows);

        var data = DatasetLoader.Load(new DatasetOptions { Dataset = path, EvalSplit = 0 });
        Assert.Equal(["1", "2", "3", "4", "5"], data.LabelNames);
        Assert.Equal([4, 0, 2, 1, 3, 2], data.Train.Select(e => e.Label));
        Assert.Empty(data.Eval);
        Assert.Equal(path, data.TrainSource);
    }

    [Fact]
    public void Json_lines_with_string_labels_sorted_ordinally()
    {
        var path = DataFixtures.Write("data.jsonl",
            "{\"text\": \"good\", \"label\": \"pos\"}\n\n" +
            "{\"text\": \"bad\", \"label\": \"neg\"}\n" +
            "{\"text\": \"meh\", \"label\": \"Neutral\", \"extra\": [1, 2]}\n" +
            "{\"label\": \"pos\", \"text\": \"fine\"}\n");
        var data = DatasetLoader.Load(new DatasetOptions { Dataset = path, EvalSplit = 0 });
        Assert.Equal(["Neutral", "neg", "pos"], data.LabelNames);
        Assert.Equal([new("good", null, 2), new("bad", null, 1), new("meh", null, 0), new LabeledExample("fine", null, 2)], data.Train);
    }

    [Fact]
    public void Json_array_with_numbers_and_numeric_strings_as_integer_labels()
    {
        var path = DataFixtures.Write("data.json", """
            [
              {"text": "ten", "label": 10},
              {"text": "two",
               "label": "2"},
              {"text": "nine", "label": 9.0}, {"text": "two again", "label": 2}
            ]
            """);
        var data = DatasetLoader.Load(new DatasetOptions { Dataset = path, EvalSplit = 0 });
        Assert.Equal(["2", "9", "10"], data.LabelNames); // numeric order, not "10" < "2"
        Assert.Equal([2, 0, 1, 0], data.Train.Select(e => e.Label));
    }

    [Fact]
    public void Json_file_holding_json_lines_as_hugging_face_to_json_writes()
    {
        var path = DataFixtures.Write("data.json", "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"label\": 1}\n");
        var data = DatasetLoader.Load(new DatasetOptions { Dataset = path, EvalSplit = 0 });
        Assert.Equal(["a", "b"], data.Train.Select(e => e.Text));
    }

    [Fact]
    public void Parquet_folder_shaped_like_the_hubs_yelp_review_full()
    {
        var dir = DataFixtures.TempDir();
        long?[] trainLabels = [.. Enumerable.Range(0, 25).Select(i => (long?)(i % 5))];
        string?[] trainTexts = [.. Enumerable.Range(0, 25).Select(i => $"review {i} with {i % 5 + 1} stars")];
        DataFixtures.Parquet(Path.Combine(dir, "train-00000-of-00001.parquet"), trainLabels, trainTexts, rowGroupSize: 10);
        DataFixtures.Parquet<long>(Path.Combine(dir, "test-00000-of-00001.parquet"), [4L, 0L, 2L], ["best", "worst", "middling"]);

        var data = DatasetLoader.Load(new DatasetOptions { Dataset = dir });
        Assert.Equal(["0", "1", "2", "3", "4"], data.LabelNames);
        Assert.Equal(trainTexts, data.Train.Select(e => e.Text));
        Assert.Equal(trainLabels.Select(l => (int)l!.Value), data.Train.Select(e => e.Label));
        Assert.Equal([new("best", null, 4), new("worst", null, 0), new LabeledExample("middling", null, 2)], data.Eval);
        Assert.EndsWith("train-00000-of-00001.parquet", data.TrainSource);
        Assert.EndsWith("test-00000-of-00001.parquet", data.EvalSource);
    }

    [Fact]
    public void Parquet_shards_in_a_data_subfolder_are_concatenated_in_name_order()
    {
        var dir = DataFixtures.TempDir();
        var data = Path.Combine(dir, "data");
        // Written out of order, with non-nullable int32 labels 1..3 and a null text (skipped).
        DataFixtures.Parquet<int>(Path.Combine(data, "train-00001-of-00002.parquet"), [3, 1], ["c", "d"], required: true);
        DataFixtures.Parquet<int>(Path.Combine(data, "train-00000-of-00002.parquet"), [1, 2, 2], ["a", null, "b"], required: true);
        DataFixtures.Parquet<short>(Path.Combine(data, "test-00000-of-00001.parquet"), [(short)2], ["e"]);

        var loaded = DatasetLoader.Load(new DatasetOptions { Dataset = dir });
        Assert.Equal(["a", "b", "c", "d"], loaded.Train.Select(e => e.Text));
        Assert.Equal(["1", "2", "3"], loaded.LabelNames);
        Assert.Equal([0, 1, 2, 0], loaded.Train.Select(e => e.Label));
        Assert.Equal(1, loaded.SkippedEmpty);
        Assert.Contains("train-*.parquet (2 files)", loaded.TrainSource);
    }

    [Fact]
    public void Parquet_string_labels()
    {
        var path = DataFixtures.ParquetStrings(Path.Combine(DataFixtures.TempDir(), "x.parquet"), ["spam", "ham", "spam"], ["buy now", "hi mum", "win"]);
        var data = DatasetLoader.Load(new DatasetOptions { Dataset = path, EvalSplit = 0 });
        Assert.Equal(["ham", "spam"], data.LabelNames);
        Assert.Equal([1, 0, 1], data.Train.Select(e => e.Label));
    }

    [Fact]
    public void Folder_with_train_and_test_csv()
    {
        var dir = DataFixtures.TempDir();
        DataFixtures.Write("train.csv", "text,label\ngood,pos\nbad,neg\nok,pos\n", dir);
        DataFixtures.Write("test.csv", "text,label\nfine,pos\n", dir);
        DataFixtures.Write("README.md", "not data", dir);

        var data = DatasetLoader.Load(new DatasetOptions { Dataset = dir });
        Assert.Equal(["neg", "pos"], data.LabelNames);
        Assert.Equal(["good", "bad", "ok"], data.Train.Select(e => e.Text));
        Assert.Equal([new LabeledExample("fine", null, 1)], data.Eval);
        Assert.Equal(Path.Combine(dir, "test.csv"), data.EvalSource);
    }

    [Fact]
    public void Eval_dataset_option_overrides_the_folders_test_file()
    {
        var dir = DataFixtures.TempDir();
        DataFixtures.Write("train.jsonl", "{\"text\":\"a\",\"label\":0}\n{\"text\":\"b\",\"label\":1}\n", dir);
        DataFixtures.Write("test.jsonl", "{\"text\":\"from test\",\"label\":0}\n", dir);
        var other = DataFixtures.Write("other.csv", "label,text\n1,from other\n");

        var data = DatasetLoader.Load(new DatasetOptions { Dataset = dir, EvalDataset = other });
        Assert.Equal([new LabeledExample("from other", null, 1)], data.Eval);
        Assert.Equal(other, data.EvalSource);
    }

    [Fact]
    public void Text_pairs_and_custom_column_names()
    {
        var path = DataFixtures.Write("nli.jsonl",
            "{\"premise\": \"a man sleeps\", \"hypothesis\": \"a man rests\", \"gold\": \"entailment\"}\n" +
            "{\"premise\": \"a dog runs\", \"hypothesis\": null, \"gold\": \"neutral\"}\n");
        var data = DatasetLoader.Load(new DatasetOptions
        {
            Dataset = path,
            TextColumn = "premise",
            TextPairColumn = "hypothesis",
            LabelColumn = "gold",
            EvalSplit = 0,
        });
        Assert.Equal([new("a man sleeps", "a man rests", 0), new LabeledExample("a dog runs", "", 1)], data.Train);
    }

    [Fact]
    public void Empty_texts_are_skipped_and_counted_in_both_splits()
    {
        var dir = DataFixtures.TempDir();
        DataFixtures.Write("train.csv", "text,label\na,0\n,1\n   ,\nb,1\n", dir);
        DataFixtures.Write("test.jsonl", "{\"text\": null, \"label\": 0}\n{\"text\": \"c\", \"label\": 0}\n", dir);
        var data = DatasetLoader.Load(new DatasetOptions { Dataset = dir });
        Assert.Equal(["a", "b"], data.Train.Select(e => e.Text));
        Assert.Equal(["c"], data.Eval.Select(e => e.Text));
        Assert.Equal(3, data.SkippedEmpty);
    }

    [Fact]
    public void Evaluate_rows_map_to_a_models_own_label_names()
    {
        var path = DataFixtures.Write("eval.csv", "text,label\ngreat,positive\nawful,negative\n");
        var rows = DatasetLoader.ReadRows(path, new DatasetOptions());
        var examples = DatasetLoader.WithLabels(rows, ["negative", "positive"], path);
        Assert.Equal([1, 0], examples.Select(e => e.Label));

        // Integer labels find a model saved without names (Hugging Face's LABEL_i) and integer names.
        var numeric = DatasetLoader.ReadRows(DataFixtures.Write("eval.csv", "text,label\nx,1\ny,0\n"), new DatasetOptions());
        Assert.Equal([1, 0], DatasetLoader.WithLabels(numeric, ["LABEL_0", "LABEL_1"], "eval.csv").Select(e => e.Label));
        Assert.Equal([0, 1], DatasetLoader.WithLabels(numeric, ["1", "0"], "eval.csv").Select(e => e.Label));
    }

    [Fact]
    public void Evaluate_rows_of_a_folder_are_its_test_split()
    {
        var dir = DataFixtures.TempDir();
        DataFixtures.Write("train.csv", "text,label\na,0\nb,1\n", dir);
        DataFixtures.Write("test.csv", "text,label\nt,1\n", dir);
        Assert.Equal([("t", null, "1")], DatasetLoader.ReadRows(dir, new DatasetOptions()));
    }

    [Fact]
    public void Default_dataset_is_the_yelp_sentences_with_a_stratified_20_percent_eval_split()
    {
        var data = DatasetLoader.Load(new DatasetOptions());
        Assert.Equal(["0", "1"], data.LabelNames);
        Assert.Equal(800, data.Train.Count);
        Assert.Equal(200, data.Eval.Count);
        Assert.Equal(100, data.Eval.Count(e => e.Label == 1));
        Assert.StartsWith("default (", data.TrainSource);

        // evaluate --dataset default reads the same held-out examples.
        var rows = DatasetLoader.ReadRows("default", new DatasetOptions());
        Assert.Equal(data.Eval.Select(e => e.Text), rows.Select(r => r.Text));
    }
}
