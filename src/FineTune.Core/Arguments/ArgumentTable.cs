using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Core.Data;
using YamlDotNet.RepresentationModel;

namespace FineTune.Core.Arguments;

/// <summary>
/// The one table of job options: each has a spec-file key (Hugging Face's TrainingArguments name where one exists,
/// else the snake_case of our flag), a command-line flag, and a parser. The CLI builds its options from this table,
/// the spec-file reader uses it, and error messages name both spellings.
/// </summary>
public static class ArgumentTable
{
    /// <param name="Kind">what the value is, for clients that build their own forms: string, integer, optional integer
    /// ("null" or empty for none), number or boolean.</param>
    public sealed record Entry(string Key, string Flag, string Help, bool IsSwitch, Action<TrainingArguments, string, string> Set)
    {
        public string Kind { get; init; } = "string";
    }

    static Entry S(string key, string flag, string help, Action<TrainingArguments, string> set) => new(key, flag, help, false, (a, v, _) => set(a, v));
    static Entry I(string key, string flag, string help, Action<TrainingArguments, int> set) => new(key, flag, help, false, (a, v, w) => set(a, ParseInt(v, w))) { Kind = "integer" };
    static Entry N(string key, string flag, string help, Action<TrainingArguments, int?> set) => new(key, flag, help, false, (a, v, w) => set(a, v is "" or "null" ? null : ParseInt(v, w))) { Kind = "optional integer" };
    static Entry D(string key, string flag, string help, Action<TrainingArguments, double> set) => new(key, flag, help, false, (a, v, w) => set(a, ParseDouble(v, w))) { Kind = "number" };
    static Entry B(string key, string flag, string help, Action<TrainingArguments, bool> set) => new(key, flag, help, true, (a, v, w) => set(a, ParseBool(v, w))) { Kind = "boolean" };

    public static readonly IReadOnlyList<Entry> Entries =
    [
        S("model", "--model", "Hugging Face model folder, or 'default' (all-MiniLM-L6-v2)", (a, v) => a.Model = v),
        S("dataset", "--dataset", ".csv, .jsonl, .json, .parquet, a folder with train/test files, or 'default' (Yelp sentences)", (a, v) => a.Dataset = v),
        S("eval_dataset", "--eval-dataset", "evaluation file (else the folder's test file, else --eval-split of the data)", (a, v) => a.EvalDataset = v),
        S("text_column", "--text-column", "column holding the text (default text)", (a, v) => a.TextColumn = v),
        S("text_pair_column", "--text-pair-column", "column holding a second text segment", (a, v) => a.TextPairColumn = v),
        S("label_column", "--label-column", "column holding the label (default label)", (a, v) => a.LabelColumn = v),
        N("num_labels", "--num-labels", "number of labels (inferred; checked when given)", (a, v) => a.NumLabels = v),
        N("train_subset", "--train-subset", "train on a seeded random subset of N examples", (a, v) => a.TrainSubset = v),
        N("eval_subset", "--eval-subset", "evaluate on a seeded random subset of N examples", (a, v) => a.EvalSubset = v),
        D("eval_split", "--eval-split", "fraction held out for evaluation when there is no eval file (default 0.2)", (a, v) => a.EvalSplit = v),
        I("max_length", "--max-length", "truncate to N tokens (default 128)", (a, v) => a.MaxLength = v),
        new("padding", "--padding", "dynamic (pad each batch to its longest row, default) or max_length", false, (a, v, w) => a.Padding = v switch
        {
            "dynamic" or "longest" => Padding.Dynamic,
            "max_length" => Padding.MaxLength,
            _ => throw new InvalidInputException($"{w}: unknown padding '{v}' (choose dynamic or max_length)"),
        }),
        B("group_by_length", "--group-by-length", "batch examples of similar length together", (a, v) => a.GroupByLength = v),
        D("num_train_epochs", "--epochs", "training epochs (default 3)", (a, v) => a.NumTrainEpochs = v),
        I("max_steps", "--max-steps", "total optimizer steps; overrides epochs (default -1)", (a, v) => a.MaxSteps = v),
        D("learning_rate", "--learning-rate", "peak learning rate (default 5e-5)", (a, v) => a.LearningRate = v),
        I("per_device_train_batch_size", "--batch-size", "training batch size per worker (default 8)", (a, v) => a.PerDeviceTrainBatchSize = v),
        I("per_device_eval_batch_size", "--eval-batch-size", "evaluation batch size per worker (default 8)", (a, v) => a.PerDeviceEvalBatchSize = v),
        I("gradient_accumulation_steps", "--gradient-accumulation-steps", "batches per optimizer step (default 1)", (a, v) => a.GradientAccumulationSteps = v),
        D("weight_decay", "--weight-decay", "AdamW decoupled weight decay, not on biases and LayerNorm (default 0)", (a, v) => a.WeightDecay = v),
        D("adam_beta1", "--adam-beta1", "default 0.9", (a, v) => a.AdamBeta1 = v),
        D("adam_beta2", "--adam-beta2", "default 0.999", (a, v) => a.AdamBeta2 = v),
        D("adam_epsilon", "--adam-epsilon", "default 1e-8", (a, v) => a.AdamEpsilon = v),
        S("lr_scheduler_type", "--lr-scheduler", "linear, cosine, constant or constant_with_warmup (default linear)", (a, v) => a.LrSchedulerType = v),
        I("warmup_steps", "--warmup-steps", "linear warmup steps (default 0)", (a, v) => a.WarmupSteps = v),
        D("warmup_ratio", "--warmup-ratio", "warmup as a fraction of the total steps (default 0)", (a, v) => a.WarmupRatio = v),
        D("max_grad_norm", "--max-grad-norm", "clip the global gradient norm (default 1.0; 0 = no clipping)", (a, v) => a.MaxGradNorm = v),
        new("seed", "--seed", "random seed (default 42)", false, (a, v, w) => a.Seed = long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : throw new InvalidInputException($"{w}: '{v}' is not an integer")) { Kind = "integer" },
        S("eval_strategy", "--eval-strategy", "no, steps or epoch (default epoch)", (a, v) => a.EvalStrategy = v),
        N("eval_steps", "--eval-steps", "evaluate every N steps with --eval-strategy steps (default: logging steps)", (a, v) => a.EvalSteps = v),
        S("save_strategy", "--save-strategy", "no, steps or epoch (default epoch)", (a, v) => a.SaveStrategy = v),
        I("save_steps", "--save-steps", "save every N steps with --save-strategy steps (default 500)", (a, v) => a.SaveSteps = v),
        N("save_total_limit", "--save-total-limit", "keep at most N checkpoints (the best is always kept)", (a, v) => a.SaveTotalLimit = v),
        B("load_best_model_at_end", "--load-best-model-at-end", "finish with the best checkpoint's weights", (a, v) => a.LoadBestModelAtEnd = v),
        S("metric_for_best_model", "--metric-for-best-model", "accuracy, f1_macro, f1 or loss, eval_ prefix optional (default accuracy)", (a, v) => a.MetricForBestModel = v),
        N("early_stopping_patience", "--early-stopping-patience", "stop after N evaluations without improvement", (a, v) => a.EarlyStoppingPatience = v),
        I("logging_steps", "--logging-steps", "log loss and learning rate every N steps (default 10)", (a, v) => a.LoggingSteps = v),
        S("resume_from_checkpoint", "--resume-from-checkpoint", "a checkpoint folder, or 'latest' in the output folder", (a, v) => a.ResumeFromCheckpoint = v),
        S("output_dir", "--output", "output folder: checkpoints, final model, report", (a, v) => a.OutputDir = v),
        N("threads", "--threads", "CPU threads for TorchSharp (default: all cores)", (a, v) => a.Threads = v),
        N("workers", "--workers", "world size for a cluster job", (a, v) => a.Workers = v),
        N("min_workers", "--min-workers", "continue with as few as M ranks after losing workers", (a, v) => a.MinWorkers = v),
        S("device", "--device", "auto, cpu, cuda or cuda:N (default auto: the worker's device; for train, a GPU when there is one)", (a, v) => a.Device = v),
        S("precision", "--precision", "fp32 or bf16 (bf16 mixed precision: fp32 master weights; default fp32)", (a, v) => a.Precision = v),
        // Hugging Face's switches for the same choice, so its job files read as they are.
        B("bf16", "--bf16", "the same as --precision bf16", (a, v) => a.Precision = v ? "bf16" : a.Precision == "bf16" ? "fp32" : a.Precision),
        B("fp16", "--fp16", "the same as --precision fp16 (refused: use bf16)", (a, v) => a.Precision = v ? "fp16" : a.Precision == "fp16" ? "fp32" : a.Precision),
        S("collective", "--collective", "how ranks sum gradients: auto, ring or nccl (default auto: NCCL when every rank is on CUDA and NCCL loads, else the TCP ring)", (a, v) => a.Collective = v),
    ];

    // Older Hugging Face spellings still found in job files.
    static readonly Dictionary<string, string> Aliases = new()
    {
        ["evaluation_strategy"] = "eval_strategy",
        ["epochs"] = "num_train_epochs",
        ["batch_size"] = "per_device_train_batch_size",
        ["eval_batch_size"] = "per_device_eval_batch_size",
        ["lr_scheduler"] = "lr_scheduler_type",
        ["output"] = "output_dir",
    };

    static readonly Dictionary<string, Entry> ByKey = Entries.ToDictionary(e => e.Key);

    /// <summary>The older spellings accepted for <paramref name="key"/> (a spec file may use them).</summary>
    public static IEnumerable<string> AliasesOf(string key) => Aliases.Where(kv => kv.Value == key).Select(kv => kv.Key);

    /// <summary>"--learning-rate (learning_rate)": how messages name an option.</summary>
    public static string Describe(string key) => ByKey.TryGetValue(key, out var e) ? $"{e.Flag} ({e.Key})" : key;

    public static Entry Find(string key) =>
        ByKey.TryGetValue(Aliases.GetValueOrDefault(key, key), out var e) ? e
        : throw new InvalidInputException($"unknown option '{key}' (known: {string.Join(", ", Entries.Select(x => x.Key))})");

    public static void Apply(TrainingArguments args, string key, string value, string where) => Find(key).Set(args, value, where);

    /// <summary>Reads a -f job.json or job.yaml spec into <paramref name="args"/>.</summary>
    public static void ApplyFile(TrainingArguments args, string path)
    {
        foreach (var (key, value) in ReadFile(path)) ByKey[key].Set(args, value, $"{path}: {key}");
    }

    /// <summary>
    /// The one spec-file reader: a job.json or job.yaml as (key, value) pairs, keys checked and aliases resolved to their
    /// table key, values as text (as a Submit request carries them). Values are not parsed here: binding does that.
    /// </summary>
    public static IReadOnlyList<(string Key, string Value)> ReadFile(string path)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"-f {path}: file not found");
        var text = File.ReadAllText(path);
        var values = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".json" => FromJson(text, path),
            ".yaml" or ".yml" => FromYaml(text, path),
            var ext => throw new InvalidInputException($"-f {path}: unsupported spec file type '{ext}' (use .json, .yaml or .yml)"),
        };
        return values.Select(kv => (ByKey.TryGetValue(Aliases.GetValueOrDefault(kv.Key, kv.Key), out var e) ? e.Key
            : throw new InvalidInputException($"{path}: unknown key '{kv.Key}' (known: {string.Join(", ", Entries.Select(x => x.Key))})"), kv.Value)).ToList();
    }

    /// <summary>
    /// The one binder from an options map (spec-file keys, values as text: a Submit request, a job.json, an assignment)
    /// to TrainingArguments; <paramref name="resolve"/> may rewrite a value first (the coordinator confines paths).
    /// Errors name the option by its flag and key.
    /// </summary>
    public static TrainingArguments Bind(IEnumerable<KeyValuePair<string, string>> options, Func<string, string, string>? resolve = null)
    {
        var args = new TrainingArguments();
        foreach (var (key, value) in options)
        {
            var entry = Find(key);
            entry.Set(args, resolve?.Invoke(entry.Key, value) ?? value, Describe(entry.Key));
        }
        return args;
    }

    static IEnumerable<(string Key, string Value)> FromJson(string text, string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(text) as JsonObject ?? throw new InvalidInputException($"{path}: expected a JSON object of options");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: invalid JSON at line {e.LineNumber + 1} ({e.Message})");
        }
        foreach (var (key, node) in root)
            yield return (key, node switch
            {
                null => "null",
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonValue v => v.ToJsonString(),
                _ => throw new InvalidInputException($"{path}: '{key}' must be a single value, got {node.ToJsonString()}"),
            });
    }

    static IEnumerable<(string Key, string Value)> FromYaml(string text, string path)
    {
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidInputException($"{path}: invalid YAML at line {e.Start.Line} ({e.Message})");
        }
        if (yaml.Documents.Count == 0) yield break;
        if (yaml.Documents[0].RootNode is not YamlMappingNode map) throw new InvalidInputException($"{path}: expected a mapping of options");
        foreach (var (k, v) in map.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? throw new InvalidInputException($"{path}: line {k.Start.Line}: keys must be plain names");
            var value = v as YamlScalarNode ?? throw new InvalidInputException($"{path}: line {v.Start.Line}: '{key}' must be a single value");
            yield return (key, value.Value ?? "null");
        }
    }

    static int ParseInt(string v, string where) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d
        : throw new InvalidInputException($"{where}: '{v}' is not an integer");

    static double ParseDouble(string v, string where) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d
        : throw new InvalidInputException($"{where}: '{v}' is not a number");

    static bool ParseBool(string v, string where) => v.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "" => true,
        "false" or "0" or "no" => false,
        _ => throw new InvalidInputException($"{where}: '{v}' is not true or false"),
    };
}
