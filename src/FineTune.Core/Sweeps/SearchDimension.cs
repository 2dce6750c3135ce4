using System.Globalization;
using FineTune.Core.Arguments;

namespace FineTune.Core.Sweeps;

/// <summary>How a dimension of the search space is drawn.</summary>
public enum Distribution
{
    /// <summary>A number in [low, high], uniform.</summary>
    Uniform,

    /// <summary>A number in [low, high], uniform in log space (low &gt; 0).</summary>
    LogUniform,

    /// <summary>An integer in [low, high], both included.</summary>
    Int,

    /// <summary>One of a list of values.</summary>
    Choice,
}

/// <summary>
/// One option of a sweep's space (<c>learning_rate: {loguniform: [1e-5, 3e-4]}</c>): its table key, distribution,
/// bounds and choices. Values leave it as canonical text (what the table's printer writes back), so trial configs
/// compare as text.
/// </summary>
public sealed record SearchDimension(string Key, Distribution Distribution, double Low, double High, IReadOnlyList<string> Choices)
{
    /// <summary>The spec key for each distribution.</summary>
    public static readonly IReadOnlyDictionary<string, Distribution> Names = new Dictionary<string, Distribution>
    {
        ["uniform"] = Distribution.Uniform,
        ["loguniform"] = Distribution.LogUniform,
        ["int"] = Distribution.Int,
        ["choice"] = Distribution.Choice,
    };

    public string DistributionName => Names.First(kv => kv.Value == Distribution).Key;

    /// <summary>How many values a grid visits: the choices, or the integers in [low, high]; null for continuous ones.</summary>
    public long? GridSize => Distribution switch
    {
        Distribution.Choice => Choices.Count,
        Distribution.Int => (long)(High - Low) + 1,
        _ => null,
    };

    /// <summary>The value at <paramref name="u"/> in [0, 1) of the distribution's range: what a uniform draw maps to.</summary>
    public string ValueAt(double u) => Distribution switch
    {
        Distribution.Uniform => Number(Math.Clamp(Low + u * (High - Low), Low, High)),
        Distribution.LogUniform => Number(Math.Clamp(Math.Exp(Math.Log(Low) + u * (Math.Log(High) - Math.Log(Low))), Low, High)),
        Distribution.Int => Number(Math.Min(High, Low + Math.Floor(u * (High - Low + 1)))),
        _ => Choices[Math.Min(Choices.Count - 1, (int)(u * Choices.Count))],
    };

    /// <summary>The <paramref name="index"/>-th value a grid visits (0-based): choices in order, integers ascending.</summary>
    public string GridValue(long index) => Distribution == Distribution.Int ? Number(Low + index) : Choices[(int)index];

    /// <summary>A number as the table prints this option (canonical text).</summary>
    public string Number(double value) => Canonical(Key, value.ToString("R", CultureInfo.InvariantCulture), Key);

    /// <summary>The number a config's text stands for (its choice's index for a choice); null when it is not one of this
    /// dimension's values (a record from another space).</summary>
    public double? Internal(string text)
    {
        if (Distribution == Distribution.Choice)
        {
            for (int i = 0; i < Choices.Count; i++) if (Choices[i] == text) return i;
            return null;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= Low && v <= High ? v : null;
    }

    /// <summary>The canonical text of an internal number (<see cref="Internal"/>'s inverse).</summary>
    public string ValueOf(double value) => Distribution == Distribution.Choice ? Choices[(int)value] : Number(value);

    /// <summary>An option's value as canonical text: set from <paramref name="text"/> (errors name <paramref name="where"/>) and printed back.</summary>
    public static string Canonical(string key, string text, string where)
    {
        var entry = ArgumentTable.Find(key);
        return entry.Get(entry.Set(new TrainingArguments(), text, where));
    }
}
