using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core;
using FineTune.Core.Arguments;
using FineTune.Core.Data;
using FineTune.Core.Tokenization;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// A job's tokenized train and eval sets and label names; <see cref="Cached"/> when an earlier job tokenized them,
/// <see cref="Seconds"/> the time this job spent reading and tokenizing (at submission or now).
/// </summary>
public sealed record TokenizedData(string Key, TokenizedDataset Train, TokenizedDataset Eval, IReadOnlyList<string> LabelNames, bool Cached, double Seconds = 0);

/// <summary>
/// Tokenized datasets under the data folder (tokenized/KEY/), written atomically, so a job on the same data, options and
/// tokenizer as an earlier one skips reading and tokenizing. KEY is the SHA-256 of everything that changes the rows:
/// the dataset files' contents (in order, by role and type), the options that pick and split rows, the tokenizer files'
/// contents and the max length. The data work after submission fills the cache (<see cref="Ensure"/>: reading the
/// dataset is its full validation), so preparation reads the compact tokens back instead of the dataset a second time.
/// </summary>
public sealed class TokenizationCache(CoordinatorOptions options)
{
    // Entries this process tokenized at submission and no job has prepared from yet, with the seconds it took: the job
    // that made one reports it as tokenized (not cached) when it starts.
    readonly ConcurrentDictionary<string, double> fresh = new();
    // File hashes by path, size and modification time: submission and preparation both need the key.
    static readonly ConcurrentDictionary<(string, long, DateTime), string> Hashes = new();

    // Bump when tokenization or the stored format changes, so older entries are not reused.
    const string Format = "finetune-tokenized/1";
    static readonly string[] TokenizerFiles = ["vocab.txt", "tokenizer.json", "tokenizer_config.json"];

    public TokenizedData Get(TrainingArguments args, string modelFolder)
    {
        var key = Key(args, modelFolder);
        var dir = Path.Combine(options.TokenizedDir, key);
        if (AtomicFolder.IsComplete(dir))
        {
            bool mine = fresh.TryRemove(key, out double seconds);
            return new TokenizedData(key, Read(dir, "train.tokens"), Read(dir, "eval.tokens"), ReadLabels(dir), Cached: !mine, seconds);
        }

        return Build(args, modelFolder, key, dir);
    }

    /// <summary>
    /// Right after submission (JobDataWork): reads and tokenizes the dataset into the cache unless it is there (throws
    /// InvalidInputException for a bad dataset, as <see cref="DatasetLoader.Load"/> does), keeping nothing in memory.
    /// <paramref name="progress"/> hears of the examples read, then tokenized.
    /// </summary>
    public void Ensure(TrainingArguments args, string modelFolder, Action<DataProgress>? progress = null)
    {
        var key = Key(args, modelFolder);
        var dir = Path.Combine(options.TokenizedDir, key);
        if (!AtomicFolder.IsComplete(dir))
        {
            var built = Build(args, modelFolder, key, dir, progress);
            if (!built.Cached) fresh[key] = built.Seconds;
            return;
        }
        // The key leaves out --num-labels (it changes no row), so it is checked against the stored labels here.
        var labels = ReadLabels(dir);
        if (args.NumLabels is { } expected && expected != labels.Length)
            throw new InvalidInputException($"--num-labels {expected}: {args.Dataset} has {labels.Length} labels ({string.Join(", ", labels)})");
    }

    TokenizedData Build(TrainingArguments args, string modelFolder, string key, string dir, Action<DataProgress>? progress = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TokenizedData? built = null;
        AtomicFolder.Ensure(dir, temp =>
        {
            progress?.Invoke(new DataProgress { Phase = DataPhase.Reading });
            var data = DatasetLoader.Load(args.ToDatasetOptions(), read => progress?.Invoke(new DataProgress { Phase = DataPhase.Reading, ExamplesRead = read }));
            var tokenizer = BertTokenizer.FromFolder(modelFolder);
            long total = data.Train.Count + data.Eval.Count; // every example read is tokenized
            Action<int>? Tokenized(long before) => progress is null ? null
                : done => progress(new DataProgress { Phase = DataPhase.Tokenizing, ExamplesRead = total, ExamplesTokenized = before + done, ExamplesTotal = total });
            Tokenized(0)?.Invoke(0);
            var train = TokenizedDataset.Build(data.Train, tokenizer, args.MaxLength, Tokenized(0));
            var eval = TokenizedDataset.Build(data.Eval, tokenizer, args.MaxLength, Tokenized(data.Train.Count));
            built = new TokenizedData(key, train, eval, data.LabelNames, Cached: false, clock.Elapsed.TotalSeconds);
            Write(Path.Combine(temp, "train.tokens"), built.Train);
            Write(Path.Combine(temp, "eval.tokens"), built.Eval);
            File.WriteAllText(Path.Combine(temp, "labels.json"), JsonSerializer.Serialize(data.LabelNames));
        });
        // Another job tokenized the same data at the same moment and won the race: theirs is as good.
        return built ?? new TokenizedData(key, Read(dir, "train.tokens"), Read(dir, "eval.tokens"), ReadLabels(dir), Cached: true);
    }

    public static string Key(TrainingArguments args, string modelFolder)
    {
        var text = new StringBuilder(Format).Append('\n');
        var (train, eval) = DatasetLoader.SourceFiles(args.ToDatasetOptions());
        foreach (var f in train) text.Append($"train {Path.GetExtension(f).ToLowerInvariant()} {HashFile(f)}\n");
        foreach (var f in eval) text.Append($"eval {Path.GetExtension(f).ToLowerInvariant()} {HashFile(f)}\n");
        // A dataset card's class_label names set the labels and their ids: a changed card is other data.
        foreach (var folder in new[] { args.Dataset, args.EvalDataset })
            if (folder is not null && File.Exists(Path.Combine(folder, "README.md"))) text.Append($"card {HashFile(Path.Combine(folder, "README.md"))}\n");
        var inv = CultureInfo.InvariantCulture;
        text.Append($"text_column={args.TextColumn}\ntext_pair_column={args.TextPairColumn}\nlabel_column={args.LabelColumn}\n");
        text.Append(inv, $"train_subset={args.TrainSubset}\neval_subset={args.EvalSubset}\neval_split={args.EvalSplit:R}\nseed={args.Seed}\n");
        foreach (var name in TokenizerFiles)
        {
            var path = Path.Combine(modelFolder, name);
            if (File.Exists(path)) text.Append($"tokenizer {name} {HashFile(path)}\n");
        }
        text.Append(inv, $"max_length={args.MaxLength}\n");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    static string HashFile(string path)
    {
        var info = new FileInfo(path);
        return Hashes.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), _ =>
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }

    static void Write(string path, TokenizedDataset data)
    {
        using var stream = File.Create(path);
        data.Write(stream);
    }

    static TokenizedDataset Read(string dir, string name)
    {
        using var stream = File.OpenRead(Path.Combine(dir, name));
        return TokenizedDataset.Read(stream);
    }

    static string[] ReadLabels(string dir) => JsonSerializer.Deserialize<string[]>(File.ReadAllText(Path.Combine(dir, "labels.json")))!;
}
