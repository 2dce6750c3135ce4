using System.Text.Json;
using System.Text.Json.Nodes;

namespace FineTune.Core.Reporting;

/// <summary>
/// One entry of Hugging Face's trainer_state.json <c>log_history</c>: the step, the (fractional) epoch and named values,
/// e.g. <c>{"step": 10, "epoch": 0.1, "loss": 0.69, "learning_rate": 4.9e-5, "grad_norm": 1.2}</c> or
/// <c>{"step": 100, "epoch": 1, "eval_accuracy": 0.9, "eval_loss": 0.3, "eval_f1_macro": 0.9}</c>.
/// Equality compares the values, not the dictionary instance.
/// </summary>
public sealed record LogEntry(int Step, double Epoch, IReadOnlyDictionary<string, double> Values)
{
    public IReadOnlyDictionary<string, double> Values { get; init; } = CheckKeys(Values);

    /// <summary>The named value, or null when this entry has none (a training entry has no eval_accuracy).</summary>
    public double? this[string key] => Values.TryGetValue(key, out var value) ? value : null;

    /// <summary>
    /// A flat object: step, epoch, then the values in the dictionary's order. A diverged run's NaN or infinite values
    /// are written as the strings "NaN", "Infinity", "-Infinity" (System.Text.Json's named literals), which keeps the
    /// file valid JSON for jq and every parser, where Python would write a bare NaN.
    /// </summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["step"] = Step, ["epoch"] = Number(Epoch) };
        foreach (var (key, value) in Values) o[key] = Number(value);
        return o;
    }

    /// <summary>
    /// Reads an entry written by <see cref="ToJson"/> or by Hugging Face. Members that are not numbers (HF adds none
    /// today) are skipped; a missing or non-integer step is an <see cref="InvalidInputException"/>.
    /// </summary>
    public static LogEntry FromJson(JsonObject o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (!TryNumber(o["step"], out var step) || step != Math.Floor(step) || step < int.MinValue || step > int.MaxValue)
            throw new InvalidInputException($"log entry {o.ToJsonString()} has no integer \"step\"");
        var epoch = TryNumber(o["epoch"], out var e) ? e : 0;
        var values = new Dictionary<string, double>();
        foreach (var (key, node) in o)
        {
            if (key is "step" or "epoch") continue;
            if (TryNumber(node, out var value)) values[key] = value;
        }
        return new LogEntry((int)step, epoch, values);
    }

    public bool Equals(LogEntry? other) =>
        other is not null
        && Step == other.Step
        && Epoch.Equals(other.Epoch)
        && Values.Count == other.Values.Count
        && Values.All(kv => other.Values.TryGetValue(kv.Key, out var v) && kv.Value.Equals(v));

    public override int GetHashCode()
    {
        // Order-independent over the values, so equal entries hash alike whatever their insertion order.
        var hash = HashCode.Combine(Step, Epoch);
        foreach (var (key, value) in Values) hash ^= HashCode.Combine(key, value);
        return hash;
    }

    static IReadOnlyDictionary<string, double> CheckKeys(IReadOnlyDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        // These are the entry's own fields; a value of the same name would be written twice.
        if (values.ContainsKey("step") || values.ContainsKey("epoch"))
            throw new ArgumentException("\"step\" and \"epoch\" are LogEntry's own fields, not values", nameof(values));
        return values;
    }

    internal static JsonNode Number(double value) =>
        double.IsFinite(value) ? JsonValue.Create(value)
        : JsonValue.Create(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");

    internal static bool TryNumber(JsonNode? node, out double value)
    {
        value = 0;
        if (node is not JsonValue v) return false;
        switch (v.GetValueKind())
        {
            case JsonValueKind.Number:
                // A value built in code may hold an int or a long; parsed ones hold a JsonElement: the text covers both.
                if (!v.TryGetValue(out value)) value = double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
                return true;
            case JsonValueKind.String:
                var s = v.GetValue<string>();
                value = s switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, "-Infinity" => double.NegativeInfinity, _ => 0 };
                return s is "NaN" or "Infinity" or "-Infinity";
            default:
                return false;
        }
    }
}
