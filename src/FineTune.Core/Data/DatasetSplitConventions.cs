using System.Text.RegularExpressions;

namespace FineTune.Core.Data;

/// <summary>
/// How <c>datasets</c> finds the splits of a dataset whose card names no data files (data_files.py's default
/// patterns), on paths relative to the dataset's root. The first rule that finds a file decides: the hub's shards
/// <c>data/{split}-00000-of-00002.*</c>, for any split name; else folders named by a split keyword (train/,
/// data/test/, ...); else file names holding one (train.csv, my_test-1.jsonl); else every file is train. A keyword
/// stands between separators (<c>- . _</c>, space, digits) or the name's ends, so train1.csv is train but
/// pretrain.csv is not; one file may match two splits (train_val.csv), as it does in <c>datasets</c>.
/// </summary>
internal static class DatasetSplitConventions
{
    const string Sep = "[-._ 0-9]";

    // Per split, its keywords as a whole folder name (followed by '/'), and as a file name's first word or a word
    // after a separator, followed by a separator.
    static readonly (string Split, Regex InFolder, Regex InName)[] Keywords =
    [
        Rule("train", "train|training"),
        Rule("validation", "validation|valid|dev|val"),
        Rule("test", "test|testing|eval|evaluation"),
    ];

    static (string, Regex, Regex) Rule(string split, string keywords) =>
        (split,
         new Regex($"(?:^|/)(?:[^/]*{Sep})?(?:{keywords})(?:{Sep}[^/]*)?/", RegexOptions.CultureInvariant),
         new Regex($"(?:^|/)(?:[^/]*{Sep})?(?:{keywords}){Sep}[^/]*$", RegexOptions.CultureInvariant));

    static readonly Regex Shard = new(@"^data/(?<split>[^/]+)-[0-9]{5}-of-[0-9]{5}[^/]*\.[^/]*$", RegexOptions.CultureInvariant);
    static readonly Regex SplitName = new(@"^\w+(\.\w+)*$", RegexOptions.CultureInvariant);

    /// <summary>Each split's files, train, validation and test first; empty when there are no files.</summary>
    public static Dictionary<string, List<string>> Splits(IReadOnlyList<string> files, string source)
    {
        var shards = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var file in files)
            if (Shard.Match(file) is { Success: true } m)
                Add(shards, m.Groups["split"].Value, file);
        if (shards.Count > 0)
        {
            if (shards.Keys.FirstOrDefault(s => !SplitName.IsMatch(s)) is { } bad)
                throw new InvalidInputException($"{source}: shard split name '{bad}' (in data/{bad}-NNNNN-of-NNNNN files) must be words joined by '.'");
            return Ordered(shards);
        }
        foreach (bool inFolderName in new[] { true, false })
        {
            var splits = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var (split, inFolder, inName) in Keywords)
                foreach (var file in files)
                    if ((inFolderName ? inFolder : inName).IsMatch(file)) Add(splits, split, file);
            if (splits.Count > 0) return splits;
        }
        return files.Count == 0 ? [] : new() { ["train"] = [.. files] };
    }

    static void Add(Dictionary<string, List<string>> splits, string split, string file)
    {
        if (!splits.TryGetValue(split, out var list)) splits[split] = list = [];
        list.Add(file);
    }

    static Dictionary<string, List<string>> Ordered(Dictionary<string, List<string>> splits)
    {
        string[] first = ["train", "validation", "test"];
        var order = first.Where(splits.ContainsKey).Concat(splits.Keys.Except(first).Order(StringComparer.Ordinal));
        return order.ToDictionary(s => s, s => splits[s], StringComparer.Ordinal);
    }
}
