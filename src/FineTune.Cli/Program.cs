using System.CommandLine;
using FineTune.Cli;
using FineTune.Cli.Commands;

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
    EvaluateCommand.Create(),
    PredictCommand.Create(),
    TokenizeCommand.Create(),
};
return Cli.Run(root, args);
