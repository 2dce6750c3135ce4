using System.CommandLine;
using FineTune.Cli;
using FineTune.Cli.Commands;
using FineTune.Core.Telemetry;
using FineTune.Core.Torch;

// libtorch first, before anything touches torch: an external build (-p:TorchBackend=external) loads the folder
// FINETUNE_LIBTORCH names here. `env` reports a refusal itself; help needs no libtorch.
PhaseProfile.Add("runtime start-up (to Main)", PhaseProfile.SinceProcessStart()); // FINETUNE_PROFILE=1 only
NativeHeap.Tune(); // before libtorch allocates: big buffers are reused, not page-faulted in again every step
LibTorchState libtorch;
using (PhaseProfile.Measure("libtorch prepare")) libtorch = LibTorchStartup.Prepare();
bool reportsItself = args.FirstOrDefault() == "env";
bool help = args.Length == 0 || args[0].StartsWith('-');
if (libtorch.Refused && !reportsItself && !help)
{
    Console.Error.WriteLine($"error: {libtorch.Refusal}");
    return Cli.InvalidInput;
}
if (libtorch.External is not null && !reportsItself && !help) Console.Error.WriteLine(libtorch); // which libtorch, on stderr: --json keeps stdout

// `finetune`: fine-tune, run and inspect BERT-family text classifiers (contract: docs/cli.md).
var root = new RootCommand("finetune: fine-tune and run BERT-family text classifiers")
{
    TrainCommand.Create(),
    SubmitCommand.Create(),
    StatusCommand.Create(),
    ListCommand.Create(),
    WatchCommand.Create(),
    CancelCommand.Create(),
    DownloadCommand.Create(),
    PushCommand.Create(),
    SweepCommand.Create(),
    EvaluateCommand.Create(),
    PredictCommand.Create(),
    TokenizeCommand.Create(),
    EnvCommand.Create(),
};
return Cli.Run(root, args);
