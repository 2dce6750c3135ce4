using System.CommandLine;
using System.Runtime.InteropServices;
using FineTune.Core;
using FineTune.Core.Sweeps;

namespace FineTune.Cli.Commands;

/// <summary>
/// finetune sweep -f sweep.yaml --output DIR [--json]: a hyperparameter sweep in this process, trials one after
/// another (docs/sweeps.md); `finetune sweep submit|status|list|cancel` run one on a cluster. The best trial's model is DIR/best; DIR/sweep.json and DIR/sweep_report.md say how each
/// trial did and what the best scored on the test set, evaluated once (DIR/best holds them too). With push_to_hub in the
/// base, DIR/best is pushed at the end as `train` pushes its output (HubPublisher); the trials never push.
/// </summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var file = new Option<string>("-f", "--file") { Description = "the sweep file (.yaml, .yml or .json)", Required = true };
        var output = new Option<string>("--output") { Description = "the sweep's folder: best/ (the best trial's model), sweep.json, sweep_report.md", Required = true };
        var threads = CommonOptions.Threads();
        var hubToken = CommonOptions.HubToken();
        var json = CommonOptions.Json();
        var command = new Command("sweep", "Search hyperparameters: run trials of a base job, stop poor ones early, keep the best model") { file, output, threads, hubToken, json };
        foreach (var cluster in SweepClusterCommands.Create()) command.Subcommands.Add(cluster); // submit, status, list, cancel
        command.SetAction(parse =>
        {
            Cli.ApplyThreads(parse.GetValue(threads));
            var spec = SweepSpec.Read(parse.GetValue(file)!);
            using var cancel = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cancel.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
            var hub = HubDownloads.Resolve(spec.BaseArguments, cancel.Token); // the base's hub ids, fetched once for every trial
            var folder = Path.GetFullPath(parse.GetValue(output)!);
            // push_to_hub in the base: the repo named (whoami) before any trial; hub_model_id defaults to DIR's name
            using var publisher = HubPublisher.For(spec.BaseArguments with { OutputDir = folder }, parse.GetValue(hubToken), Console.Error);
            var result = LocalSweep.Run(spec, folder, line => Console.Error.WriteLine(line), cancel.Token, hub);
            var pushed = result.Best is not null && !cancel.IsCancellationRequested ? publisher?.Finish(Path.Combine(folder, LocalSweep.BestFolder)) : null;
            if (parse.GetValue(json))
            {
                var document = result.ToJson();
                if (pushed is not null) document["hub_push"] = HubPublisher.ToJson(pushed);
                Console.WriteLine(document.ToJsonString(Json.Indented));
            }
            else
            {
                var table = new Table("trial", "params", spec.Metric, "state", "reason");
                foreach (var t in result.Trials) table.Add(t.Index.ToString(), t.Config.ToString(), t.Value?.ToString("0.####") ?? "", t.State, t.Reason ?? "");
                table.Write(Console.Out);
                Console.WriteLine();
                if (result.Best is { } best)
                    Console.WriteLine($"best: trial {best.Index}, validation {spec.Metric} {best.Value:0.####}; test accuracy {result.Test?[TestScores.Accuracy]:0.####} (scored once)");
                Console.WriteLine($"model: {Path.Combine(folder, LocalSweep.BestFolder)}; report: {Path.Combine(folder, SweepReport.MarkdownFile)}");
            }
            if (cancel.IsCancellationRequested) return Cli.Failed;
            if (result.Failed) throw new InvalidOperationException($"every trial failed; the first: {result.Trials[0].Reason}");
            return Cli.Success;
        });
        return command;
    }
}
