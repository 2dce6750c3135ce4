namespace FineTune.Core.Data;

/// <summary>
/// Turns the dataset options into labeled train and eval examples: find the files, read them, drop empty texts,
/// take the labels from the dataset card's class names or infer them from the training data, take the eval split (a file, the folder's test split, or a seeded
/// stratified hold-out), then the seeded subsets. Every problem the user can fix is an InvalidInputException
/// naming the file (and line or column) and what is wrong.
/// </summary>
public static class DatasetLoader
{
    /// <param name="read">told the rows read so far (train and eval files together), every few thousand rows</param>
    public static LoadedDataset Load(DatasetOptions options, Action<long>? read = null)
    {
        var columns = DatasetColumns.From(options);
        var (trainFiles, trainSource, evalFiles, classNames) = Files(options);
        var rowsRead = new RowCounter(read);

        int skipped = 0;
        var trainRows = ReadSplit(trainFiles, trainSource, columns, ref skipped, rowsRead);
        // The card's names hold every class, even those a subset of the rows lacks: the model's id2label is that list.
        var labels = classNames is null ? LabelSet.Infer(trainRows.Select(r => r.Row.Label!)) : LabelSet.FromClassNames(classNames);
        if (labels.Names.Count < 2)
            throw new InvalidInputException(labels.AreClassNames
                ? $"{trainSource}: the dataset card names {labels.Names.Count} class label(s) for column '{columns.Label}'; a classifier needs at least 2"
                : $"{trainSource}: every training example has the label '{labels.Names[0]}' (column '{columns.Label}'); a classifier needs at least 2 labels");
        if (options.NumLabels is { } expected && expected != labels.Names.Count)
            throw new InvalidInputException(
                $"--num-labels {expected}: {trainSource} has {labels.Names.Count} labels ({labels.Describe()}){(labels.AreClassNames ? ", as its dataset card names them" : "")}");
        var all = ToExamples(trainRows, labels, trainSource);

        IReadOnlyList<LabeledExample> train, eval;
        string evalSource;
        if (evalFiles.Count > 0)
        {
            evalSource = DatasetFolder.Source(evalFiles);
            train = all;
            eval = ToExamples(ReadSplit(evalFiles, evalSource, columns, ref skipped, rowsRead), labels, trainSource);
        }
        else
        {
            var ids = new int[all.Count];
            for (int i = 0; i < ids.Length; i++) ids[i] = all[i].Label;
            var (trainIds, evalIds) = StratifiedSplit.Split(ids, labels.Names.Count, options.EvalSplit, options.Seed);
            train = [.. trainIds.Select(i => all[i])];
            eval = [.. evalIds.Select(i => all[i])];
            evalSource = options.EvalSplit > 0
                ? $"{options.EvalSplit:0.##%} of {trainSource} held out (stratified by label, seed {options.Seed})"
                : "none (--eval-split 0)";
        }

        train = Subset(train, options.TrainSubset, options.Seed, "--train-subset", $"training examples in {trainSource}");
        eval = Subset(eval, options.EvalSubset, options.Seed, "--eval-subset", $"eval examples in {evalSource}");
        return new LoadedDataset(train, eval, labels.Names, trainSource, evalSource, skipped);
    }

    /// <summary>
    /// What can be checked without reading the whole dataset: the options, the files (they exist, of a known type), and
    /// the first <paramref name="rows"/> rows of each file (columns present, labels not empty). A dataset whose files
    /// all end within those rows is small: it is loaded whole, so every check of <see cref="Load"/> applies at once.
    /// Throws as <see cref="Load"/> does, with the same messages.
    /// </summary>
    public static void Check(DatasetOptions options, int rows = 100)
    {
        var columns = DatasetColumns.From(options);
        var (trainFiles, trainSource, evalFiles, _) = Files(options);
        int skipped = 0;
        var counter = new RowCounter(null);
        ReadSplit(trainFiles, trainSource, columns, ref skipped, counter, rows);
        if (evalFiles.Count > 0) ReadSplit(evalFiles, DatasetFolder.Source(evalFiles), columns, ref skipped, counter, rows);
        if (!counter.Truncated) Load(options);
    }

    static (IReadOnlyList<string> Train, string TrainSource, IReadOnlyList<string> Eval, IReadOnlyList<string>? ClassNames) Files(DatasetOptions options)
    {
        if (!(options.EvalSplit >= 0 && options.EvalSplit < 1))
            throw new InvalidInputException($"--eval-split: must be at least 0 and below 1, got {options.EvalSplit}");
        var (trainFiles, trainSource, folderEval, classNames) = ResolveTrain(options);
        return (trainFiles, trainSource, options.EvalDataset is { } evalPath ? ResolveEval(evalPath, "--eval-dataset", null, options.LabelColumn) : folderEval, classNames);
    }

    /// <summary>Rows read so far, told to a listener every 4,096 rows; <see cref="Truncated"/> once a file was read only in part.</summary>
    sealed class RowCounter(Action<long>? listener)
    {
        long count;

        public bool Truncated { get; set; }

        public void Add()
        {
            if (++count % 4096 == 0) listener?.Invoke(count);
        }
    }

    /// <summary>
    /// The rows of a file, or of a folder's test (else validation) split, with their labels as written: for
    /// <c>finetune evaluate</c>, which maps them with the model's own label names (<see cref="WithLabels"/>).
    /// Empty texts are dropped and <see cref="DatasetOptions.EvalSubset"/> applies. "default" gives the default
    /// dataset's held-out eval split, the same examples <see cref="Load"/> holds out.
    /// </summary>
    public static IReadOnlyList<(string Text, string? TextPair, string Label)> ReadRows(string path, DatasetOptions options)
    {
        if (DefaultDataset.IsDefault(path))
        {
            var loaded = Load(options with { Dataset = DefaultDataset.Name, EvalDataset = null, TrainSubset = null });
            return [.. loaded.Eval.Select(e => (e.Text, e.TextPair, loaded.LabelNames[e.Label]))];
        }
        var columns = DatasetColumns.From(options);
        var files = ResolveEval(path, "--dataset", options.Config, options.LabelColumn);
        var source = DatasetFolder.Source(files);
        int skipped = 0;
        var rows = ReadSplit(files, source, columns, ref skipped, new RowCounter(null));
        var result = rows.Select(r => (r.Row.Text!, r.Row.Pair, r.Row.Label!)).ToList();
        return Subset(result, options.EvalSubset, options.Seed, "--eval-subset", $"examples in {source}");
    }

    /// <summary>
    /// Maps labels to ids with a model's label names (its id2label): by name; an integer label also finds its
    /// integer's name, or LABEL_i when the model has no names. A label the model lacks is an error naming it.
    /// </summary>
    public static IReadOnlyList<LabeledExample> WithLabels(
        IReadOnlyList<(string Text, string? TextPair, string Label)> rows, IReadOnlyList<string> labelNames, string source)
    {
        var labels = LabelSet.FromNames(labelNames);
        var examples = new LabeledExample[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            var (text, pair, label) = rows[i];
            if (!labels.TryGetId(label.Trim(), out int id))
                throw new InvalidInputException($"{source}: label '{label}' is not one of the model's labels ({labels.Describe()})");
            examples[i] = new LabeledExample(text, pair, id);
        }
        return examples;
    }

    /// <summary>
    /// The files <see cref="Load"/> reads for these options, train then eval, without reading them (the coordinator's
    /// tokenization cache keys on their contents). Missing files throw as Load does.
    /// </summary>
    public static (IReadOnlyList<string> Train, IReadOnlyList<string> Eval) SourceFiles(DatasetOptions options)
    {
        var (train, _, folderEval, _) = ResolveTrain(options);
        return (train, options.EvalDataset is { } evalPath ? ResolveEval(evalPath, "--eval-dataset", null, options.LabelColumn) : folderEval);
    }

    static (IReadOnlyList<string> Files, string Source, IReadOnlyList<string> Eval, IReadOnlyList<string>? ClassNames) ResolveTrain(DatasetOptions options)
    {
        var dataset = options.Dataset;
        if (Directory.Exists(dataset))
        {
            var splits = DatasetFolder.Splits(dataset, options.Config, options.LabelColumn);
            if (splits.Train.Count == 0)
                throw new InvalidInputException(
                    $"{dataset}: no train file{InConfig(splits)} ({FoundSplits(splits)}; expected train.csv, train-*.parquet shards or a train/ folder, here or below, or a README.md config naming them); {DatasetFolder.Describe(dataset)}");
            return (splits.Train, DatasetFolder.Source(splits.Train), splits.Eval, splits.LabelNames);
        }
        // Only a dataset folder (or hub repo) has configs: a single file or the default dataset has none.
        if (options.Config is { } config)
            throw new InvalidInputException($"--dataset-config {config}: {dataset} is not a dataset folder, so it has no configs; leave the option out");
        if (DefaultDataset.IsDefault(dataset))
        {
            var file = DefaultDataset.EnsureFile();
            return ([file], $"default ({file})", [], null);
        }
        return ([ExistingFile(dataset, "--dataset")], dataset, [], null);
    }

    static IReadOnlyList<string> ResolveEval(string path, string flag, string? config, string labelColumn)
    {
        if (!Directory.Exists(path))
            return config is null
                ? [ExistingFile(path, flag)]
                : throw new InvalidInputException($"--dataset-config {config}: {path} is not a dataset folder, so it has no configs; leave the option out");
        var splits = DatasetFolder.Splits(path, config, labelColumn);
        if (splits.Eval.Count == 0)
            throw new InvalidInputException(
                $"{path}: no test file{InConfig(splits)} ({FoundSplits(splits)}; expected test.* or validation.* as .csv, .jsonl, .json or .parquet, test-*.parquet shards or a test/ folder); {DatasetFolder.Describe(path)}");
        return splits.Eval;
    }

    static string InConfig(DatasetSplits splits) => splits.Config is { } c ? $" in config '{c}'" : "";

    static string FoundSplits(DatasetSplits splits) =>
        splits.Files.Count == 0 ? "no data files" : $"splits found: {string.Join(", ", splits.Files.Keys)}";

    static string ExistingFile(string path, string flag)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"{flag} {path}: no such file or folder");
        if (!DataFile.IsSupported(path))
            throw new InvalidInputException(
                $"{path}: unsupported file type '{Path.GetExtension(path)}' (expected {string.Join(", ", DataFile.Extensions)}, or a folder with train/test files)");
        return path;
    }

    /// <summary>
    /// Reads a split's files in order, dropping (and counting) empty texts; every kept row has a trimmed label. With
    /// <paramref name="limit"/>, only each file's first rows (a check, not a load).
    /// </summary>
    static List<(string File, SourceRow Row)> ReadSplit(IReadOnlyList<string> files, string source, DatasetColumns columns, ref int skipped,
        RowCounter read, int limit = int.MaxValue)
    {
        var rows = new List<(string, SourceRow)>();
        int empty = 0;
        foreach (var file in files)
        {
            int count = 0;
            foreach (var row in DataFile.Read(file, columns))
            {
                if (count++ == limit)
                {
                    read.Truncated = true;
                    break;
                }
                read.Add();
                if (string.IsNullOrWhiteSpace(row.Text)) { empty++; continue; }
                if (string.IsNullOrWhiteSpace(row.Label))
                    throw new InvalidInputException($"{DataFile.Where(file, row.Line)}: the label (column '{columns.Label}') is missing or empty");
                // A null cell in the pair column is an empty second text, so a pair dataset stays all pairs.
                rows.Add((file, row with { Label = row.Label.Trim(), Pair = columns.Pair is null ? null : row.Pair ?? "" }));
            }
            if (count == 0) throw new InvalidInputException($"{file}: empty file (no rows)");
        }
        if (rows.Count == 0 && limit == int.MaxValue)
            throw new InvalidInputException($"{source}: every text (column '{columns.Text}') is empty");
        skipped += empty;
        return rows;
    }

    static List<LabeledExample> ToExamples(List<(string File, SourceRow Row)> rows, LabelSet labels, string trainSource)
    {
        var examples = new List<LabeledExample>(rows.Count);
        foreach (var (file, row) in rows)
        {
            if (!labels.TryGetId(row.Label!, out int id))
                throw new InvalidInputException(labels.AreClassNames
                    ? $"{DataFile.Where(file, row.Line)}: {labels.ClassNameProblem(row.Label!)}"
                    : $"{DataFile.Where(file, row.Line)}: label '{row.Label}' does not occur in the training data ({trainSource} has {labels.Describe()})");
            examples.Add(new LabeledExample(row.Text!, row.Pair, id));
        }
        return examples;
    }

    static IReadOnlyList<T> Subset<T>(IReadOnlyList<T> items, int? size, long seed, string flag, string what)
    {
        if (size is not { } n) return items;
        if (n <= 0) throw new InvalidInputException($"{flag} {n}: must be a positive number of examples");
        if (n > items.Count) throw new InvalidInputException($"{flag} {n}: there are only {items.Count} {what}");
        // Like Hugging Face's dataset.shuffle(seed).select(range(n)): the first n of a seeded permutation.
        var order = SeededShuffle.Permutation(items.Count, seed);
        var subset = new T[n];
        for (int i = 0; i < n; i++) subset[i] = items[order[i]];
        return subset;
    }
}
