using System.CommandLine;
using FineTune.Core;
using FineTune.Core.Arguments;

namespace FineTune.Cli.Commands;

/// <summary>
/// The job options of ArgumentTable as command-line options, and how a parse becomes TrainingArguments:
/// defaults, then the -f spec file, then the flags actually given (flags override the file).
/// </summary>
public sealed class JobOptions
{
    readonly List<(ArgumentTable.Entry Entry, Option Option)> options = [];
    public Option<FileInfo?> SpecFile { get; } = new("-f", "--file") { Description = "job spec (job.json or job.yaml) with Hugging Face TrainingArguments key names" };

    public JobOptions(params string[] exclude)
    {
        foreach (var entry in ArgumentTable.Entries.Where(e => !exclude.Contains(e.Key)))
            options.Add((entry, entry.IsSwitch
                ? new Option<bool>(entry.Flag) { Description = entry.Help }
                : new Option<string>(entry.Flag) { Description = entry.Help }));
    }

    public void AddTo(Command command)
    {
        command.Options.Add(SpecFile);
        foreach (var (_, option) in options) command.Options.Add(option);
    }

    public TrainingArguments Bind(ParseResult parse)
    {
        var args = new TrainingArguments();
        if (parse.GetValue(SpecFile) is FileInfo file) args = ArgumentTable.ApplyFile(args, file.FullName);
        foreach (var (entry, option) in options)
        {
            if (parse.GetResult(option) is not { Implicit: false }) continue; // not typed: keep the file's or the default
            var value = option is Option<bool> b ? (parse.GetValue(b) ? "true" : "false") : parse.GetValue((Option<string>)option) ?? "";
            args = entry.Set(args, value, entry.Flag);
        }
        return args;
    }

    /// <summary>
    /// The options the user set, by spec-file key (aliases resolved), values as text: the -f file's keys, then the flags
    /// actually given (flags override the file). Defaults are left out, so the coordinator applies its table to exactly
    /// what was asked. Call after <see cref="Bind"/>, which reports a bad file or value first.
    /// </summary>
    public Dictionary<string, string> OptionsMap(ParseResult parse)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parse.GetValue(SpecFile) is FileInfo file)
            foreach (var (key, value) in ArgumentTable.ReadFile(file.FullName)) map[key] = value;
        foreach (var (entry, option) in options)
        {
            if (parse.GetResult(option) is not { Implicit: false }) continue;
            map[entry.Key] = option is Option<bool> b ? (parse.GetValue(b) ? "true" : "false") : parse.GetValue((Option<string>)option) ?? "";
        }
        return map;
    }
}
