using System.Globalization;

namespace FineTune.Core.Data;

/// <summary>
/// Label names and their ids. Inferred from training labels: when every label reads as an integer (JSON numbers
/// and numeric strings alike) they sort numerically and keep their integer text as names ("1".."5" -> ids 0..4);
/// otherwise the names sort ordinally. Given a model's id2label, it maps labels to that model's ids. Given a dataset
/// card's class names, they are the labels whatever the rows hold, as a <c>datasets</c> ClassLabel maps them.
/// </summary>
internal sealed class LabelSet
{
    readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Names { get; }

    /// <summary>Whether the names are a dataset card's class_label names (<see cref="FromClassNames"/>).</summary>
    public bool AreClassNames { get; }

    LabelSet(IReadOnlyList<string> names, bool classNames = false)
    {
        Names = names;
        AreClassNames = classNames;
        for (int i = 0; i < names.Count; i++) _ids.TryAdd(names[i], i);
    }

    public static LabelSet FromNames(IReadOnlyList<string> names) => new(names);

    /// <summary>
    /// A dataset card's class_label names: label i is name i, a label equal to a name is that name's index, and an
    /// integer label i is id i when 0 &lt;= i &lt; the number of names (as ClassLabel.str2int maps them).
    /// </summary>
    public static LabelSet FromClassNames(IReadOnlyList<string> names) => new(names, classNames: true);

    public static LabelSet Infer(IEnumerable<string> labels)
    {
        var distinct = labels.Distinct(StringComparer.Ordinal).ToList();
        var integers = new List<long>(distinct.Count);
        foreach (var label in distinct)
        {
            if (!TryParseInteger(label, out long value))
                return new([.. distinct.Order(StringComparer.Ordinal)]);
            integers.Add(value);
        }
        return new([.. integers.Distinct().Order().Select(v => v.ToString(CultureInfo.InvariantCulture))]);
    }

    /// <summary>
    /// The id of a label: its exact name; else, for an integer label, the name of that integer ("03" and "3.0"
    /// find "3"); else Hugging Face's default name LABEL_i for integer i (a model saved without label names). For class
    /// names, an integer label i is id i when in range.
    /// </summary>
    public bool TryGetId(string label, out int id)
    {
        if (_ids.TryGetValue(label, out id)) return true;
        if (!TryParseInteger(label, out long value)) return false;
        if (AreClassNames)
        {
            id = (int)Math.Clamp(value, -1, Names.Count);
            return value >= 0 && value < Names.Count;
        }
        if (_ids.TryGetValue(value.ToString(CultureInfo.InvariantCulture), out id)) return true;
        id = (int)value;
        return value >= 0 && value < Names.Count && Names[id] == $"LABEL_{value}";
    }

    /// <summary>Why class names refused a label (<see cref="TryGetId"/> was false): out of range, or not a name.</summary>
    public string ClassNameProblem(string label) =>
        TryParseInteger(label, out _)
            ? $"label {label} is out of range: the class labels are 0..{Names.Count - 1} ({Describe()})"
            : $"label '{label}' is not one of the class names ({Describe()})";

    /// <summary>The names for an error message: all of them, or the first 20 and a count.</summary>
    public string Describe() => Describe(Names);

    public static string Describe(IReadOnlyCollection<string> names) =>
        names.Count <= 20
            ? string.Join(", ", names)
            : $"{string.Join(", ", names.Take(20))} ... ({names.Count - 20} more)";

    static bool TryParseInteger(string text, out long value)
    {
        const NumberStyles Styles = NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite;
        if (long.TryParse(text, Styles, CultureInfo.InvariantCulture, out value)) return true;
        // "3.0" (pandas writes float labels when a column once held a NaN) counts as the integer 3.
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && d == decimal.Truncate(d) && d >= long.MinValue && d <= long.MaxValue)
        {
            value = (long)d;
            return true;
        }
        return false;
    }
}
