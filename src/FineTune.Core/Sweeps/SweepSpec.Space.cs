using System.Globalization;
using FineTune.Core.Arguments;

namespace FineTune.Core.Sweeps;

/// <summary>Reading a sweep's space: one distribution per table option, its bounds and choices checked by applying them
/// through the table to the trials' base and validating, so a bad bound gets the option's own message.</summary>
public sealed partial class SweepSpec
{
    /// <summary>Options a sweep sets itself, so a space may not search them.</summary>
    static readonly Dictionary<string, string> SetBySweep = new()
    {
        ["workers"] = "is set by workers_per_trial",
        ["metric_for_best_model"] = "is set by the sweep's metric",
        ["push_to_hub"] = "is the sweep's own (the base's: its output is pushed once, after the sweep; trials never push)",
    };

    /// <summary>Options that change what one evaluation is: ASHA compares trials after equal numbers of evaluations.</summary>
    static readonly string[] TrialLength = ["num_train_epochs", "max_steps", "eval_strategy", "eval_steps"];

    static IReadOnlyList<SearchDimension> ReadSpace(string path, SpecNode? node, TrainingArguments trialBase, bool asha)
    {
        if (node is null) throw new InvalidInputException($"{path}: space: is required (a mapping of options to distributions, e.g. learning_rate: {{loguniform: [1e-5, 3e-4]}})");
        if (node.Kind != SpecNode.NodeKind.Mapping || node.Entries.Count == 0)
            throw new InvalidInputException($"{path}: {node.At}space: expected a mapping of options to distributions, e.g. learning_rate: {{loguniform: [1e-5, 3e-4]}}, got {(node.Kind == SpecNode.NodeKind.Mapping ? "an empty mapping" : node.Describe())}");
        var space = new List<SearchDimension>();
        foreach (var (name, value) in node.Entries)
        {
            ArgumentTable.Entry entry;
            try
            {
                entry = ArgumentTable.Find(name);
            }
            catch (InvalidInputException e)
            {
                throw new InvalidInputException($"{path}: {value.At}space: {e.Message}");
            }
            var where = $"{path}: {value.At}space.{entry.Key}";
            if (space.Any(d => d.Key == entry.Key)) throw new InvalidInputException($"{where}: given twice");
            if (SetBySweep.TryGetValue(entry.Key, out var reason)) throw new InvalidInputException($"{where}: {ArgumentTable.Describe(entry.Key)} {reason}: it cannot be searched");
            if (asha && TrialLength.Contains(entry.Key))
                throw new InvalidInputException($"{where}: not with early_stopping asha: its rungs compare trials after equal numbers of evaluations, and trials of different lengths would have rungs of different lengths");
            space.Add(ReadDimension(where, entry, value, trialBase));
        }
        return space;
    }

    static SearchDimension ReadDimension(string where, ArgumentTable.Entry entry, SpecNode node, TrainingArguments trialBase)
    {
        var names = string.Join(", ", SearchDimension.Names.Keys);
        if (node.Kind != SpecNode.NodeKind.Mapping || node.Entries.Count != 1)
            throw new InvalidInputException($"{where}: expected one distribution ({names}), e.g. {{loguniform: [1e-5, 3e-4]}}, got {(node.Kind == SpecNode.NodeKind.Mapping ? $"{node.Entries.Count} keys" : node.Describe())}");
        var (name, argument) = node.Entries[0];
        if (!SearchDimension.Names.TryGetValue(name, out var distribution)) throw new InvalidInputException($"{where}: unknown distribution '{name}' (choose {names})");
        if (argument.Kind != SpecNode.NodeKind.Sequence || argument.Items.Any(i => i.Kind != SpecNode.NodeKind.Scalar))
            throw new InvalidInputException($"{where}: {name} takes a list of values, e.g. {name}: {(distribution == Distribution.Choice ? "[8, 16, 32]" : "[1, 3]")}, got {argument.Describe()}");
        var texts = argument.Items.Select(i => i.Text).ToArray();
        var dimension = distribution == Distribution.Choice ? ReadChoice(where, entry, texts) : ReadRange(where, entry, distribution, name, texts);
        // Each bound and choice goes through the table onto the trials' base: its problems are the option's own.
        var values = distribution == Distribution.Choice ? dimension.Choices
            : distribution == Distribution.Int && dimension.High - dimension.Low < 1000 ? Enumerable.Range(0, (int)(dimension.High - dimension.Low) + 1).Select(i => dimension.GridValue(i)).ToList()
            : [dimension.Number(dimension.Low), dimension.Number(dimension.High)];
        foreach (var value in values)
        {
            var problems = ArgumentTable.Apply(trialBase, entry.Key, value, $"{where}: {ArgumentTable.Describe(entry.Key)}").Problems();
            if (problems.Count > 0) throw new InvalidInputException($"{where}: {string.Join("; ", problems)}");
        }
        return dimension;
    }

    static SearchDimension ReadChoice(string where, ArgumentTable.Entry entry, string[] texts)
    {
        if (texts.Length == 0) throw new InvalidInputException($"{where}: choice needs at least one value");
        var choices = texts.Select(t => SearchDimension.Canonical(entry.Key, t, $"{where}: {ArgumentTable.Describe(entry.Key)}")).ToList();
        if (choices.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new InvalidInputException($"{where}: choice lists {twice.Key} twice");
        return new SearchDimension(entry.Key, Distribution.Choice, 0, 0, choices);
    }

    static SearchDimension ReadRange(string where, ArgumentTable.Entry entry, Distribution distribution, string name, string[] texts)
    {
        var integers = distribution == Distribution.Int;
        if (integers ? entry.Kind is not ("integer" or "optional integer" or "number") : entry.Kind != "number")
            throw new InvalidInputException($"{where}: {name} takes {(integers ? "integers" : "numbers")}, but {ArgumentTable.Describe(entry.Key)} is {(entry.Kind is "integer" or "optional integer" ? "an integer option (use int or choice)" : $"a {entry.Kind} option (use choice)")}");
        var bounds = texts.Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : double.NaN).ToArray();
        if (bounds.Length != 2 || bounds.Any(double.IsNaN) || (integers && bounds.Any(b => b != Math.Floor(b) || Math.Abs(b) > int.MaxValue)))
            throw new InvalidInputException($"{where}: {name} takes [low, high] ({(integers ? "integers" : "numbers")}), got [{string.Join(", ", texts)}]");
        var (low, high) = (bounds[0], bounds[1]);
        if (integers ? low > high : low >= high) throw new InvalidInputException($"{where}: {name} bounds must be in order (low {(integers ? "at most" : "below")} high), got [{string.Join(", ", texts)}]");
        if (distribution == Distribution.LogUniform && low <= 0) throw new InvalidInputException($"{where}: loguniform bounds must be greater than 0, got [{string.Join(", ", texts)}]");
        return new SearchDimension(entry.Key, distribution, low, high, []);
    }
}
