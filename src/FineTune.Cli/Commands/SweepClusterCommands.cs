using System.CommandLine;
using System.Globalization;
using FineTune.Contracts.V1;
using Google.Protobuf;

namespace FineTune.Cli.Commands;

/// <summary>
/// The sweep's cluster subcommands, for `finetune sweep`: submit (-f sweep.yaml, local base files uploaded as submit
/// uploads them; --wait follows WatchSweep), watch (the same following, of a sweep submitted earlier), status, list, cancel. Text by default; --json prints the Sweep message as
/// JSON (protobuf's JSON mapping, default values included).
/// </summary>
public static class SweepClusterCommands
{
    // Default values written too: trial 0's index, best_trial 0 and a has_metric of false are data, not absences.
    static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    /// <summary>The subcommands to add under `finetune sweep`.</summary>
    public static IReadOnlyList<Command> Create() => [Submit(), Watch(), Status(), List(), Cancel()];

    static Command Submit()
    {
        var file = new Option<string>("--file", "-f") { Description = "the sweep file (.yaml, .yml or .json)", Required = true };
        var wait = new Option<bool>("--wait") { Description = "follow the sweep until it ends: exit 0 when it succeeds, 1 when it fails or is cancelled" };
        var json = new Option<bool>("--json") { Description = "print the sweep as JSON" };
        var coordinator = new CoordinatorOptions();
        var command = new Command("submit", "Submit a sweep to the coordinator: its trials run as jobs across the workers") { file, wait, json };
        coordinator.AddTo(command);
        command.SetAction(parse =>
        {
            using var client = coordinator.Connect(parse);
            var (name, text) = SweepFileText.For(parse.GetValue(file)!, options => SubmitCommand.UploadLocalPaths(client, options));
            var sweep = client.SubmitSweep(name, text, Guid.NewGuid().ToString("N"));
            if (!parse.GetValue(wait))
            {
                Print(sweep, parse.GetValue(json));
                return Cli.Success;
            }
            if (!parse.GetValue(json)) Console.Error.WriteLine($"sweep {sweep.Id} submitted");
            return Follow(client, sweep.Id, parse.GetValue(json));
        });
        return command;
    }

    static Command Watch()
    {
        var id = new Argument<string>("SWEEP_ID") { Description = "the sweep's id (from sweep submit or sweep list)" };
        var json = new Option<bool>("--json") { Description = "print the sweep as JSON when it ends" };
        var coordinator = new CoordinatorOptions();
        var command = new Command("watch", "Follow a sweep until it ends: a line per change on stderr, then the sweep (exit 0 if it succeeded, else 1)") { id, json };
        coordinator.AddTo(command);
        command.SetAction(parse =>
        {
            using var client = coordinator.Connect(parse);
            return Follow(client, parse.GetValue(id)!, parse.GetValue(json));
        });
        return command;
    }

    /// <summary>Follows WatchSweep to the sweep's end (a headline on stderr per change unless --json), prints it, and returns the exit code.</summary>
    static int Follow(CoordinatorClient client, string sweepId, bool json)
    {
        Sweep? sweep = null;
        string seen = "";
        foreach (var s in client.WatchSweep(sweepId).ToBlockingEnumerable())
        {
            sweep = s;
            var line = Headline(s);
            if (!json && line != seen) Console.Error.WriteLine(seen = line);
        }
        sweep ??= client.GetSweep(sweepId);
        Print(sweep, json);
        return sweep.State == "succeeded" ? Cli.Success : Cli.Failed;
    }

    static Command Status()
    {
        var id = new Argument<string>("SWEEP_ID") { Description = "the sweep's id (from sweep submit or sweep list)" };
        var json = new Option<bool>("--json") { Description = "print the sweep as JSON" };
        var coordinator = new CoordinatorOptions();
        var command = new Command("status", "Show a sweep on the coordinator: its trials, the best, the test score") { id, json };
        coordinator.AddTo(command);
        command.SetAction(parse =>
        {
            using var client = coordinator.Connect(parse);
            Print(client.GetSweep(parse.GetValue(id)!), parse.GetValue(json));
            return Cli.Success;
        });
        return command;
    }

    static Command List()
    {
        var json = new Option<bool>("--json") { Description = "print the sweeps as a JSON array" };
        var coordinator = new CoordinatorOptions();
        var command = new Command("list", "List the coordinator's sweeps, oldest first") { json };
        coordinator.AddTo(command);
        command.SetAction(parse =>
        {
            using var client = coordinator.Connect(parse);
            var sweeps = client.ListSweeps();
            if (parse.GetValue(json)) Console.WriteLine("[" + string.Join(",", sweeps.Select(s => Formatter.Format(s))) + "]");
            else foreach (var s in sweeps) Console.WriteLine(Headline(s));
            return Cli.Success;
        });
        return command;
    }

    static Command Cancel()
    {
        var id = new Argument<string>("SWEEP_ID") { Description = "the sweep's id" };
        var coordinator = new CoordinatorOptions();
        var command = new Command("cancel", "Cancel a sweep and its live trials") { id };
        coordinator.AddTo(command);
        command.SetAction(parse =>
        {
            using var client = coordinator.Connect(parse);
            Console.WriteLine(client.CancelSweep(parse.GetValue(id)!).State);
            return Cli.Success;
        });
        return command;
    }

    static void Print(Sweep s, bool json)
    {
        if (json)
        {
            Console.WriteLine(Formatter.Format(s));
            return;
        }
        Console.WriteLine(Headline(s));
        foreach (var t in s.Trials)
            Console.WriteLine($"  trial {t.Index}  {t.JobId}  {t.State}  {(t.HasMetric ? $"{s.Metric} {F(t.Metric)} after {t.Evaluations.Count} evaluation(s)" : "no evaluation yet")}  "
                + string.Join(" ", t.Params.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")) + (t.Reason.Length > 0 ? $"  ({t.Reason})" : ""));
        if (s.TestMetrics.Count > 0)
            Console.WriteLine($"  test set (best trial, scored once by {s.TestJobId}): " + string.Join(", ", s.TestMetrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key} {F(m.Value)}")));
        else if (s.TestJobId.Length > 0) Console.WriteLine($"  test set: being scored by {s.TestJobId} (best trial {s.BestTrial})");
        if (s.Error.Length > 0) Console.WriteLine($"  error: {s.Error}");
    }

    /// <summary>"sweep ID: running, 3/12 trials (1 running), best trial 2 eval_accuracy 0.91".</summary>
    static string Headline(Sweep s)
    {
        var best = s.BestTrial >= 0 && s.BestTrial < s.Trials.Count ? $", best trial {s.BestTrial} {s.Metric} {F(s.Trials[s.BestTrial].Metric)}" : "";
        return $"sweep {s.Id}: {s.State}, {s.Trials.Count}/{s.PlannedTrials} trials ({s.Trials.Count(t => t.State == "running")} running){best}";
    }

    static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
