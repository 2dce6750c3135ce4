using System.Text;
using FineTune.Core.Data;

namespace FineTune.Core.Tests.Data;

/// <summary>Every dataset problem a user can fix: an InvalidInputException naming the file (line, column) and the problem.</summary>
public class DatasetErrorTests
{
    static void AssertInvalid(Func<object> load, params string[] expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => load());
        foreach (var part in expected) Assert.Contains(part, e.Message);
    }

    static void AssertInvalid(string dataset, params string[] expected) =>
        AssertInvalid(() => DatasetLoader.Load(new DatasetOptions { Dataset = dataset }), expected);

    [Fact]
    public void Missing_file_or_folder()
    {
        AssertInvalid("/nonexistent/data.csv", "--dataset /nonexistent/data.csv", "no such file or folder");
        var train = DataFixtures.Write("train.csv", "text,label\na,0\nb,1\n");
        AssertInvalid(() => DatasetLoader.Load(new DatasetOptions { Dataset = train, EvalDataset = "/nonexistent/eval.jsonl" }),
            "--eval-dataset /nonexistent/eval.jsonl", "no such file or folder");
    }

    [Fact]
    public void Empty_files()
    {
        var csv = DataFixtures.Write("empty.csv", "");
        AssertInvalid(csv, csv, "empty file");
        var headerOnly = DataFixtures.Write("header.csv", "text,label\n");
        AssertInvalid(headerOnly, headerOnly, "empty file (no rows)");
        var jsonl = DataFixtures.Write("empty.jsonl", "\n\n");
        AssertInvalid(jsonl, jsonl, "empty file (no rows)");
        var array = DataFixtures.Write("empty.json", "[]");
        AssertInvalid(array, array, "empty file (no rows)");
        var parquet = DataFixtures.Parquet<long>(Path.Combine(DataFixtures.TempDir(), "empty.parquet"), [], []);
        AssertInvalid(parquet, parquet, "empty file (no rows)");
    }

    [Fact]
    public void Missing_columns_list_the_columns_present_and_the_option()
    {
        var csv = DataFixtures.Write("data.csv", "review,stars\ngood,5\n");
        AssertInvalid(csv, $"{csv}:1", "no column 'text'", "'review', 'stars'", "--text-column");
        AssertInvalid(() => DatasetLoader.Load(new DatasetOptions { Dataset = csv, TextColumn = "review" }),
            "no column 'label'", "'review', 'stars'", "--label-column");

        var jsonl = DataFixtures.Write("data.jsonl", "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"sentiment\": 1}\n");
        AssertInvalid(jsonl, $"{jsonl}:2", "no column 'label'", "'text', 'sentiment'", "--label-column");

        var parquet = DataFixtures.Parquet<long>(Path.Combine(DataFixtures.TempDir(), "p.parquet"), [1L], ["x"], labelName: "stars");
        AssertInvalid(parquet, parquet, "no column 'label'", "'stars', 'text'", "--label-column");
        AssertInvalid(() => DatasetLoader.Load(new DatasetOptions { Dataset = parquet, LabelColumn = "stars", TextPairColumn = "other" }),
            "no column 'other'", "--text-pair-column");
    }

    [Fact]
    public void Malformed_csv_lines_name_their_line()
    {
        var fields = DataFixtures.Write("data.csv", "text,label\na,0\n\"b\nc\",1\nd,1,extra\n");
        AssertInvalid(fields, $"{fields}:5", "3 fields but the header has 2");
        var quote = DataFixtures.Write("data.csv", "text,label\na,0\n\"never closed,1\nb,0\n");
        AssertInvalid(quote, $"{quote}:3", "unterminated quoted field");
    }

    [Fact]
    public void Malformed_json_names_its_line()
    {
        var jsonl = DataFixtures.Write("data.jsonl", "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"label\": }\n");
        AssertInvalid(jsonl, $"{jsonl}:2", "malformed JSON");
        var notObject = DataFixtures.Write("data.jsonl", "{\"text\": \"a\", \"label\": 0}\n[1, 2]\n");
        AssertInvalid(notObject, $"{notObject}:2", "not a JSON object");
        var array = DataFixtures.Write("data.json", "[\n  {\"text\": \"a\", \"label\": 0},\n  {\"text\": \"b\" \"label\": 1}\n]\n");
        AssertInvalid(array, $"{array}:3", "malformed JSON");
        var nested = DataFixtures.Write("data.json", "[{\"text\": {\"nested\": 1}, \"label\": 0}]");
        AssertInvalid(nested, $"{nested}:1", "column 'text' holds a JSON object");
    }

    [Theory]
    [InlineData("data.csv", "text,label\na,0\nb\xFF,1\n", 3)]
    [InlineData("data.jsonl", "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"label\": 1}\n{\"text\": \"\xC3(\", \"label\": 1}\n", 3)]
    [InlineData("data.json", "[\n{\"text\": \"\xFE\", \"label\": 0}]", 2)]
    public void Invalid_utf8_names_file_and_line(string name, string latin1, int line)
    {
        var path = Path.Combine(DataFixtures.TempDir(), name);
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(latin1)); // each char one byte: \xFF stays an invalid byte
        AssertInvalid(path, $"{path}:{line}", "not valid UTF-8");
    }

    [Fact]
    public void Invalid_utf8_far_into_a_large_csv_names_the_right_line()
    {
        var path = Path.Combine(DataFixtures.TempDir(), "big.csv");
        var text = "text,label\n" + string.Concat(Enumerable.Range(0, 5000).Select(i => $"row number {i},{i % 2}\n"));
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes(text), .. Encoding.Latin1.GetBytes("bad \xFF,1\n")]);
        AssertInvalid(path, $"{path}:5002", "not valid UTF-8");
    }

    [Fact]
    public void Unsupported_extension()
    {
        var path = DataFixtures.Write("data.txt", "hello");
        AssertInvalid(path, path, "unsupported file type '.txt'", ".csv, .jsonl, .json, .parquet");
    }

    [Fact]
    public void Folder_without_train_files_lists_what_is_there()
    {
        // A data file named by no split keyword would be train (as in datasets), so this folder has only a test split.
        var dir = DataFixtures.TempDir();
        DataFixtures.Write("test.csv", "text,label\na,0\n", dir);
        DataFixtures.Write("notes.txt", "x", dir);
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        AssertInvalid(dir, dir, "no train file", "splits found: test", "it holds images/, notes.txt, test.csv");

        var empty = DataFixtures.TempDir();
        DataFixtures.Write("notes.txt", "x", empty);
        AssertInvalid(empty, empty, "no train file", "no data files", "it holds notes.txt");

        var reviews = DataFixtures.TempDir();
        DataFixtures.Write("reviews.csv", "text,label\na,0\n", reviews);
        AssertInvalid(() => DatasetLoader.ReadRows(reviews, new DatasetOptions()), reviews, "no test file", "splits found: train", "reviews.csv");
    }

    [Fact]
    public void Folder_with_train_files_of_two_types()
    {
        var dir = DataFixtures.TempDir();
        DataFixtures.Write("train.csv", "text,label\na,0\n", dir);
        DataFixtures.Write("train.jsonl", "{\"text\": \"a\", \"label\": 0}\n", dir);
        AssertInvalid(dir, dir, "train files of 2 types", "train.csv, train.jsonl");
    }

    [Fact]
    public void Missing_labels_name_file_and_line()
    {
        var jsonl = DataFixtures.Write("data.jsonl", "{\"text\": \"a\", \"label\": 0}\n{\"text\": \"b\", \"label\": null}\n");
        AssertInvalid(jsonl, $"{jsonl}:2", "label (column 'label') is missing");
        var csv = DataFixtures.Write("data.csv", "text,label\na,0\nb, \n");
        AssertInvalid(csv, $"{csv}:3", "label (column 'label') is missing");
        var parquet = DataFixtures.Parquet<long>(Path.Combine(DataFixtures.TempDir(), "p.parquet"), [0L, 1L, null], ["a", "b", "c"]);
        AssertInvalid(parquet, $"{parquet}: row 3", "label (column 'label') is missing");
    }

    [Fact]
    public void All_texts_empty()
    {
        var csv = DataFixtures.Write("data.csv", "text,label\n,0\n  ,1\n");
        AssertInvalid(csv, csv, "every text (column 'text') is empty");
    }

    [Fact]
    public void Num_labels_mismatch_gives_both_numbers_and_the_labels()
    {
        var csv = DataFixtures.Write("data.csv", "text,label\na,neg\nb,pos\n");
        AssertInvalid(() => DatasetLoader.Load(new DatasetOptions { Dataset = csv, NumLabels = 3 }), "--num-labels 3", csv, "has 2 labels (neg, pos)");
        var ok = DatasetLoader.Load(new DatasetOptions { Dataset = csv, NumLabels = 2, EvalSplit = 0 });
        Assert.Equal(2, ok.LabelNames.Count);
    }

    [Fact]
    public void A_single_class_is_an_error()
    {
        var csv = DataFixtures.Write("data.csv", "text,label\na,pos\nb,pos\n");
        AssertInvalid(csv, csv, "every training example has the label 'pos'", "at least 2 labels");
    }

    [Fact]
    public void Eval_label_missing_from_train_names_label_and_file()
    {
        var dir = DataFixtures.TempDir();
        DataFixtures.Write("train.csv", "text,label\na,1\nb,2\n", dir);
        var test = DataFixtures.Write("test.csv", "text,label\nc,2\nd,7\n", dir);
        AssertInvalid(dir, $"{test}:3", "label '7' does not occur in the training data", "1, 2");
    }

    [Fact]
    public void Unknown_label_for_a_models_label_names()
    {
        var rows = DatasetLoader.ReadRows(DataFixtures.Write("e.csv", "text,label\na,pos\nb,mixed\n"), new DatasetOptions());
        AssertInvalid(() => DatasetLoader.WithLabels(rows, ["neg", "pos"], "e.csv"), "e.csv", "label 'mixed' is not one of the model's labels (neg, pos)");
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Eval_split_out_of_range(double split)
    {
        var csv = DataFixtures.Write("data.csv", "text,label\na,0\nb,1\n");
        AssertInvalid(() => DatasetLoader.Load(new DatasetOptions { Dataset = csv, EvalSplit = split }), "--eval-split");
    }

    [Fact]
    public void Subset_sizes_out_of_range()
    {
        var csv = DataFixtures.Write("data.csv", "text,label\na,0\nb,1\nc,0\n");
        AssertInvalid(() => DatasetLoader.Load(new DatasetOptions { Dataset = csv, EvalSplit = 0, TrainSubset = 4 }),
            "--train-subset 4", "only 3 training examples", csv);
        AssertInvalid(() => DatasetLoader.Load(new DatasetOptions { Dataset = csv, TrainSubset = 0 }), "--train-subset 0", "positive");
        AssertInvalid(() => DatasetLoader.Load(new DatasetOptions { Dataset = csv, EvalSubset = -1 }), "--eval-subset -1", "positive");
        AssertInvalid(() => DatasetLoader.Load(new DatasetOptions { Dataset = csv, EvalSubset = 2 }), "--eval-subset 2", "only 1 eval examples");
    }

    [Fact]
    public void Not_a_parquet_file()
    {
        var path = DataFixtures.Write("fake.parquet", "text,label\na,0\n");
        AssertInvalid(path, path, "cannot read it as Parquet");
    }
}
