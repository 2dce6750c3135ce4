using System.CommandLine;
using System.Runtime.InteropServices;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core;
using FineTune.Core.Telemetry;
using FineTune.Core.Training;

namespace FineTune.Cli.Commands;

/// <summary>finetune train [job options] --output DIR [--json]: fine-tune in this process (world size 1).</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var job = new JobOptions("workers", "min_workers", "collective");
        var json = CommonOptions.Json();
        var hubToken = CommonOptions.HubToken();
        var command = new Command("train", "Fine-tune a model on a labelled dataset in this process (options mirror Hugging Face TrainingArguments)");
        job.AddTo(command);
        command.Options.Add(json);
        command.Options.Add(hubToken);
        command.SetAction(parse =>
        {
            var args = job.Bind(parse);
            if (args.OutputDir is null) throw new InvalidInputException("--output (output_dir): required: the folder for checkpoints, the final model and the report");

            // Ctrl+C or SIGTERM: stop at the next step boundary and write a resumable checkpoint.
            using var cancel = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cancel.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });

            var progress = new ConsoleProgress(Console.Error);
            args.Validate(); // bad options are refused before anything is downloaded
            var hub = HubDownloads.Resolve(args, cancel.Token);
            using var publisher = HubPublisher.For(args, parse.GetValue(hubToken), Console.Error); // the repo named (whoami) before training
            ITrainerObserver[] observers = [progress, .. PhaseProfile.Enabled ? [new ProfileObserver()] : Array.Empty<ITrainerObserver>(), .. publisher is null ? [] : new ITrainerObserver[] { publisher }];
            var result = FineTuneJob.Run(args, new ObserverGroup(observers), line => Console.Error.WriteLine(line), cancel.Token, hub);
            progress.Finish();
            PhaseProfile.Write(Console.Error); // FINETUNE_PROFILE=1: where the wall time went
            var id = $"local-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
            if (result.Outcome.Interrupted)
            {
                Console.Error.WriteLine($"interrupted at step {result.Outcome.GlobalStep}; a checkpoint is in {args.OutputDir}: continue with the same command plus --resume-from-checkpoint latest");
                if (parse.GetValue(json)) Console.WriteLine(result.ToJson(id, JobState.Cancelled.Name(), ["local"]).ToJsonString(Json.Indented));
                return Cli.Failed;
            }
            var pushed = publisher?.Finish(result.Args.OutputDir!);
            if (parse.GetValue(json))
            {
                var job = result.ToJson(id, JobState.Succeeded.Name(), ["local"]);
                if (pushed is not null) job["hub_push"] = HubPublisher.ToJson(pushed);
                Console.WriteLine(job.ToJsonString(Json.Indented));
                return Cli.Success;
            }
            PrintSummary(result);
            return Cli.Success;
        });
        return command;
    }

    static void PrintSummary(JobResult result)
    {
        var table = new Table("metric", "value");
        foreach (var (k, v) in result.TrainMetrics()) table.Add(k, v?.ToJsonString() ?? "");
        foreach (var (k, v) in result.EvalMetrics()) if (k != "epoch") table.Add(k, v?.ToJsonString() ?? "");
        table.Write(Console.Out);
        if (result.Outcome.FinalEval is { } e)
        {
            Console.WriteLine();
            var perClass = new Table("label", "precision", "recall", "f1", "support");
            foreach (var c in e.PerClass) perClass.Add(c.Label, c.Precision.ToString("0.000"), c.Recall.ToString("0.000"), c.F1.ToString("0.000"), c.Support.ToString());
            perClass.Write(Console.Out);
        }
        Console.WriteLine();
        Console.WriteLine($"model, trainer_state.json, results and report.md: {result.Args.OutputDir}");
    }
}
