namespace FineTune.Core.Sweeps;

/// <summary>
/// One trial's sampled options: table keys (in the sweep space's order) with canonical value text, as
/// <see cref="Arguments.ArgumentTable.Canonical"/> writes them, so a config read back from a record compares equal.
/// </summary>
public sealed class TrialConfig : IEquatable<TrialConfig>
{
    public TrialConfig(IEnumerable<KeyValuePair<string, string>> values) => Values = [.. values];

    /// <summary>The sampled options, in the space's order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Values { get; }

    /// <summary>The value of <paramref name="key"/> (a table key); null when this config does not set it.</summary>
    public string? this[string key] => Values.FirstOrDefault(kv => kv.Key == key) is { Key: not null } kv ? kv.Value : null;

    public bool Equals(TrialConfig? other) => other is not null && Values.SequenceEqual(other.Values);

    public override bool Equals(object? obj) => Equals(obj as TrialConfig);

    public override int GetHashCode() => Values.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value));

    /// <summary>"learning_rate=3e-05 per_device_train_batch_size=16": for logs and trial names.</summary>
    public override string ToString() => string.Join(" ", Values.Select(kv => $"{kv.Key}={kv.Value}"));
}
