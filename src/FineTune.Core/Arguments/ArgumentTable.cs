using System.Globalization;

namespace FineTune.Core.Arguments;

/// <summary>
/// The one table of job options: each has a spec-file key (Hugging Face's TrainingArguments name where one exists,
/// else the snake_case of our flag), a command-line flag, a parser and a printer. The CLI builds its options from this
/// table, the spec-file reader uses it, error messages name both spellings, and <see cref="Canonical"/> writes a spec
/// back as the text every peer binds again to the same <see cref="TrainingArguments"/>.
/// </summary>
public static partial class ArgumentTable
{
    /// <param name="Set">a copy of the arguments with this option's value parsed from text (InvalidInputException naming <c>where</c>)</param>
    /// <param name="Get">this option's value as canonical text (what <paramref name="Set"/> reads back to the same value)</param>
    /// <param name="Kind">what the value is, for clients that build their own forms: string, optional string, integer,
    /// optional integer ("null" or empty for none), number or boolean.</param>
    public sealed record Entry(string Key, string Flag, string Help, bool IsSwitch,
        Func<TrainingArguments, string, string, TrainingArguments> Set, Func<TrainingArguments, string> Get)
    {
        public string Kind { get; init; } = "string";
    }

    /// <summary>The values an option takes when it takes one of a few (DescribeOptions' choices); empty: any value of its kind.</summary>
    public static IReadOnlyList<string> ChoicesOf(string key) => key switch
    {
        "padding" => ["dynamic", "max_length"],
        "lr_scheduler_type" => TrainingArguments.Schedulers,
        "eval_strategy" or "save_strategy" => TrainingArguments.Strategies,
        "hub_strategy" => ["end", "every_save"],
        "precision" => ["fp32", "bf16"],
        "collective" => ["auto", "ring", "nccl"],
        _ when Find(key).Kind == "boolean" => ["true", "false"],
        _ => [],
    };

    /// <summary>The text of "no value" for optional options.</summary>
    public const string Null = "null";

    static Entry S(string key, string flag, string help, Func<TrainingArguments, string, TrainingArguments> set, Func<TrainingArguments, string> get) =>
        new(key, flag, help, false, (a, v, _) => set(a, v), get);
    static Entry O(string key, string flag, string help, Func<TrainingArguments, string?, TrainingArguments> set, Func<TrainingArguments, string?> get) =>
        new(key, flag, help, false, (a, v, _) => set(a, v is "" or Null ? null : v), a => get(a) ?? Null) { Kind = "optional string" };
    static Entry I(string key, string flag, string help, Func<TrainingArguments, int, TrainingArguments> set, Func<TrainingArguments, int> get) =>
        new(key, flag, help, false, (a, v, w) => set(a, ParseInt(v, w)), a => Text(get(a))) { Kind = "integer" };
    static Entry N(string key, string flag, string help, Func<TrainingArguments, int?, TrainingArguments> set, Func<TrainingArguments, int?> get) =>
        new(key, flag, help, false, (a, v, w) => set(a, v is "" or Null ? null : ParseInt(v, w)), a => get(a) is { } n ? Text(n) : Null) { Kind = "optional integer" };
    static Entry D(string key, string flag, string help, Func<TrainingArguments, double, TrainingArguments> set, Func<TrainingArguments, double> get) =>
        new(key, flag, help, false, (a, v, w) => set(a, ParseDouble(v, w)), a => get(a).ToString("R", CultureInfo.InvariantCulture)) { Kind = "number" };
    static Entry B(string key, string flag, string help, Func<TrainingArguments, bool, TrainingArguments> set, Func<TrainingArguments, bool> get) =>
        new(key, flag, help, true, (a, v, w) => set(a, ParseBool(v, w)), a => get(a) ? "true" : "false") { Kind = "boolean" };

    static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);

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

    // Lazily: Entries lives in another part of this class, and static initializers across parts run in no set order.
    static Dictionary<string, Entry> ByKey => byKey ??= Entries.ToDictionary(e => e.Key);
    static Dictionary<string, Entry>? byKey;

    /// <summary>The older spellings accepted for <paramref name="key"/> (a spec file may use them).</summary>
    public static IEnumerable<string> AliasesOf(string key) => Aliases.Where(kv => kv.Value == key).Select(kv => kv.Key);

    /// <summary>"--learning-rate (learning_rate)": how messages name an option.</summary>
    public static string Describe(string key) => ByKey.TryGetValue(key, out var e) ? $"{e.Flag} ({e.Key})" : key;

    public static Entry Find(string key) =>
        ByKey.TryGetValue(Aliases.GetValueOrDefault(key, key), out var e) ? e
        : throw new InvalidInputException($"unknown option '{key}' (known: {string.Join(", ", Entries.Select(x => x.Key))})");

    /// <summary>A copy of <paramref name="args"/> with one option set from text.</summary>
    public static TrainingArguments Apply(TrainingArguments args, string key, string value, string where) => Find(key).Set(args, value, where);

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
            args = entry.Set(args, resolve?.Invoke(entry.Key, value) ?? value, Describe(entry.Key));
        }
        return args;
    }

    /// <summary>
    /// Every option of the table with its value as normalized text, in table order: what a job record stores, an
    /// assignment carries and the Jobs API returns. <see cref="Bind"/> of it gives back an equal TrainingArguments.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Canonical(TrainingArguments args) =>
        [.. Entries.Select(e => KeyValuePair.Create(e.Key, e.Get(args)))];

    /// <summary>An option's default, as canonical text.</summary>
    public static string DefaultOf(string key) => Find(key).Get(Defaults);

    static readonly TrainingArguments Defaults = new();

    static int ParseInt(string v, string where) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d
        : throw new InvalidInputException($"{where}: '{v}' is not an integer");

    static long ParseLong(string v, string where) =>
        long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < long.MaxValue ? (long)d
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
