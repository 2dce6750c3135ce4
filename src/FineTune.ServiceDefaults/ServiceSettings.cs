using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace FineTune.ServiceDefaults;

/// <summary>A service setting with a bad value: the message names the option and the value, e.g. "--max-workers abc: must be an integer >= 1".</summary>
public sealed class SettingsException(string message) : Exception(message);

/// <summary>
/// The one reader of the services' settings (coordinator, worker, AppHost). A setting named "max-workers" is read from
/// the command line (--max-workers, configuration key "max-workers"), else from the section's kebab-case key
/// (FineTune:max-workers), else from its PascalCase key (FineTune:MaxWorkers, or the environment FineTune__MaxWorkers),
/// else from any extra keys and environment variables given. Every typed getter refuses a bad value with one
/// <see cref="SettingsException"/> naming the option, so a service refuses to start rather than guess.
/// Compiled into the AppHost too (a linked file): keep it free of anything but Microsoft.Extensions.Configuration.
/// </summary>
public sealed class ServiceSettings(IConfiguration configuration, string? section = "FineTune")
{
    /// <summary>The raw text and where it came from ("--max-workers", "FineTune:MaxWorkers", "FINETUNE_COORDINATOR"), or null when unset.</summary>
    public (string Value, string Source)? Find(string name, params string[] aliases)
    {
        if (configuration[name] is string flag) return (flag, $"--{name}");
        if (section is not null)
        {
            foreach (var key in (string[])[name, Pascal(name), .. aliases.Where(a => !IsEnvironmentName(a))])
                if (configuration[$"{section}:{key}"] is string v) return (v, $"--{name} ({section}:{key})");
        }
        foreach (var alias in aliases.Where(IsEnvironmentName))
            if (Environment.GetEnvironmentVariable(alias) is string v) return (v, $"--{name} ({alias})");
        return null;
    }

    /// <summary>Text as given (trimmed), or null: empty or whitespace counts as unset. Aliases: other keys in the section, or environment variables (upper case).</summary>
    public string? String(string name, params string[] aliases) =>
        Find(name, aliases) is { } found && !string.IsNullOrWhiteSpace(found.Value) ? found.Value.Trim() : null;

    /// <summary>A positive number of seconds (fractions allowed).</summary>
    public TimeSpan Seconds(string name, TimeSpan fallback) => Parse(name, fallback, "must be a positive number of seconds",
        v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && double.IsFinite(s) && s > 0 && s < TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(s) : null);

    /// <summary>An integer in [min, max].</summary>
    public int Int(string name, int fallback, int min, int max = int.MaxValue) => Parse(name, fallback,
        max == int.MaxValue ? $"must be an integer >= {min}" : $"must be an integer from {min} to {max}",
        v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= min && i <= max ? i : (int?)null);

    /// <summary>A TCP port, 1-65535; null when unset.</summary>
    public int? Port(string name) => Find(name) is null ? null : Int(name, 0, 1, 65535);

    /// <summary>true or false (any case).</summary>
    public bool Bool(string name, bool fallback) => Parse(name, fallback, "must be true or false",
        v => bool.TryParse(v, out var b) ? b : (bool?)null);

    /// <summary>One of <paramref name="choices"/> (exact, lower case), or a value that <paramref name="also"/> accepts.</summary>
    public string Choice(string name, string fallback, string[] choices, Func<string, bool>? also = null, string? alsoText = null) =>
        Parse(name, fallback, $"must be {Or(alsoText is null ? choices : [.. choices, alsoText])}",
            v => choices.Contains(v, StringComparer.Ordinal) || also?.Invoke(v) == true ? v : null);

    T Parse<T>(string name, T fallback, string rule, Func<string, T?> parse) where T : struct
    {
        if (Find(name) is not var (text, source)) return fallback;
        return parse(text.Trim()) ?? throw new SettingsException($"{source} {Quote(text)}: {rule}");
    }

    string Parse(string name, string fallback, string rule, Func<string, string?> parse)
    {
        if (Find(name) is not var (text, source)) return fallback;
        return parse(text.Trim()) ?? throw new SettingsException($"{source} {Quote(text)}: {rule}");
    }

    /// <summary>"max-workers" → "MaxWorkers"; a name without dashes is returned as it is.</summary>
    public static string Pascal(string name) =>
        string.Concat(name.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    static bool IsEnvironmentName(string alias) => alias.Length > 0 && alias.All(c => char.IsUpper(c) || char.IsDigit(c) || c == '_');

    static string Quote(string text) => text.Length == 0 || text.Any(char.IsWhiteSpace) ? $"'{text}'" : text;

    static string Or(string[] choices) => choices.Length switch
    {
        1 => choices[0],
        2 => $"{choices[0]} or {choices[1]}",
        _ => $"{string.Join(", ", choices[..^1])} or {choices[^1]}",
    };
}
