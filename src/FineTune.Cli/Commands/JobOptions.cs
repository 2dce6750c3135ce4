using System.CommandLine;
using FineTune.Core.Training;

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
        if (parse.GetValue(SpecFile) is FileInfo file) ArgumentTable.ApplyFile(args, file.FullName);
        foreach (var (entry, option) in options)
        {
            if (parse.GetResult(option) is not { Implicit: false }) continue; // not typed: keep the file's or the default
            var value = option is Option<bool> b ? (parse.GetValue(b) ? "true" : "false") : parse.GetValue((Option<string>)option) ?? "";
            entry.Set(args, value, entry.Flag);
        }
        return args;
    }
}
