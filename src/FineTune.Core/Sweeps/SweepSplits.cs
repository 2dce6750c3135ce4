using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Core.Arguments;
using FineTune.Core.Data;

namespace FineTune.Core.Sweeps;

/// <summary>
/// A sweep's data, written once so that no trial peeks at the test set. <c>trials/</c> holds train.jsonl and
/// validation.jsonl, what every trial trains and evaluates on; <c>test/</c> holds test.jsonl, scored once on the best
/// trial's model. The test set is the base job's eval set (its eval_dataset, its dataset's test split, or its eval_split
/// hold-out); validation is the dataset's own validation split when it has one beside its test split, else
/// validation_split of the rest, stratified by label and seeded. Each folder's README.md names its splits and the class
/// labels in order, so every trial's model has the base job's id2label whatever a split holds.
/// </summary>
public sealed record SweepSplits(string Folder, int Train, int Validation, int Test, IReadOnlyList<string> LabelNames, string ValidationSource, string TestSource)
{
    public const string TrialsFolderName = "trials";
    public const string TestFolderName = "test";

    /// <summary>The folder every trial's dataset points at (train and validation splits only).</summary>
    public string TrialsFolder => Path.Combine(Folder, TrialsFolderName);

    /// <summary>The folder holding the test split alone.</summary>
    public string TestFolder => Path.Combine(Folder, TestFolderName);

    /// <summary>
    /// Loads the base job's data (<paramref name="baseArgs"/> with hub ids already resolved to local folders) and writes
    /// the splits under <paramref name="folder"/>.
    /// </summary>
    public static SweepSplits Write(TrainingArguments baseArgs, double validationSplit, long seed, string folder)
    {
        var options = baseArgs.ToDatasetOptions();
        var data = DatasetLoader.Load(options);
        IReadOnlyList<LabeledExample> train, validation;
        string validationSource;
        if (OwnValidationSplit(options) is { } files)
        {
            train = data.Train;
            validationSource = DatasetFolder.Source(files);
            validation = [.. files.SelectMany(f => DatasetLoader.WithLabels(DatasetLoader.ReadRows(f, options with { EvalSubset = null }), data.LabelNames, f))];
        }
        else
        {
            var (trainIds, validationIds) = StratifiedSplit.Split([.. data.Train.Select(e => e.Label)], data.LabelNames.Count, validationSplit, seed);
            train = [.. trainIds.Select(i => data.Train[i])];
            validation = [.. validationIds.Select(i => data.Train[i])];
            validationSource = $"{validationSplit.ToString("0.##%", CultureInfo.InvariantCulture)} of {data.TrainSource} held out (stratified by label, seed {seed})";
        }
        if (validation.Count == 0) throw new InvalidInputException($"validation_split: {validationSplit} leaves no validation examples from {data.TrainSource}");
        if (data.Eval.Count == 0) throw new InvalidInputException($"{ArgumentTable.Describe("eval_split")}: a sweep needs a test set; the base job has none (set eval_dataset or an eval_split above 0)");

        var splits = new SweepSplits(Path.GetFullPath(folder), train.Count, validation.Count, data.Eval.Count, data.LabelNames, validationSource, data.EvalSource);
        bool pairs = options.TextPairColumn is not null;
        Directory.CreateDirectory(splits.TrialsFolder);
        Directory.CreateDirectory(splits.TestFolder);
        WriteRows(Path.Combine(splits.TrialsFolder, "train.jsonl"), train, data.LabelNames, pairs);
        WriteRows(Path.Combine(splits.TrialsFolder, "validation.jsonl"), validation, data.LabelNames, pairs);
        WriteRows(Path.Combine(splits.TestFolder, "test.jsonl"), data.Eval, data.LabelNames, pairs);
        File.WriteAllText(Path.Combine(splits.TrialsFolder, "README.md"), Card(data.LabelNames, ("train", "train.jsonl"), ("validation", "validation.jsonl")));
        File.WriteAllText(Path.Combine(splits.TestFolder, "README.md"), Card(data.LabelNames, ("test", "test.jsonl")));
        return splits;
    }

    /// <summary>The splits written under <paramref name="folder"/>, their sizes counted from the files (sources unknown).</summary>
    public static SweepSplits Read(string folder)
    {
        static int Rows(string path) => File.Exists(path) ? File.ReadLines(path).Count(l => l.Length > 0) : 0;
        var splits = new SweepSplits(Path.GetFullPath(folder), 0, 0, 0, [], "", "");
        return splits with
        {
            Train = Rows(Path.Combine(splits.TrialsFolder, "train.jsonl")),
            Validation = Rows(Path.Combine(splits.TrialsFolder, "validation.jsonl")),
            Test = Rows(Path.Combine(splits.TestFolder, "test.jsonl")),
        };
    }

    /// <summary>A trial's options: the base's, reading the trials folder (its train split, evaluated on validation).</summary>
    public TrainingArguments ForTrial(TrainingArguments args) => args with
    {
        Dataset = TrialsFolder,
        DatasetConfig = null,
        DatasetRevision = null,
        EvalDataset = null,
        EvalDatasetRevision = null,
        TextColumn = "text",
        TextPairColumn = args.TextPairColumn is null ? null : "text_pair",
        LabelColumn = "label",
        TrainSubset = null, // the subsets applied when the splits were written
        EvalSubset = null,
    };

    /// <summary>The folder dataset's own validation split, when it has one beside the test split the base evaluates on.</summary>
    static IReadOnlyList<string>? OwnValidationSplit(DatasetOptions options)
    {
        if (options.EvalDataset is not null || !Directory.Exists(options.Dataset)) return null;
        var splits = DatasetFolder.Splits(options.Dataset, options.Config, options.LabelColumn);
        return splits.Split("test").Count > 0 && splits.Split("validation") is { Count: > 0 } validation ? validation : null;
    }

    static void WriteRows(string path, IReadOnlyList<LabeledExample> rows, IReadOnlyList<string> labels, bool pairs)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        foreach (var row in rows)
        {
            var line = new JsonObject { ["text"] = row.Text };
            if (pairs) line["text_pair"] = row.TextPair;
            line["label"] = labels[row.Label];
            writer.Write(line.ToJsonString());
            writer.Write('\n');
        }
    }

    /// <summary>A dataset card naming the splits' files and the class labels in order (label i is name i).</summary>
    static string Card(IReadOnlyList<string> labels, params (string Split, string File)[] files)
    {
        var card = new StringBuilder("---\nconfigs:\n- config_name: default\n  data_files:\n");
        foreach (var (split, file) in files) card.Append($"  - split: {split}\n    path: {file}\n");
        card.Append("  default: true\ndataset_info:\n  features:\n  - name: label\n    dtype:\n      class_label:\n        names:\n");
        for (int i = 0; i < labels.Count; i++) card.Append($"          '{i}': {JsonSerializer.Serialize(labels[i])}\n");
        return card.Append("---\n").ToString();
    }
}
