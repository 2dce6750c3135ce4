using System.CommandLine;

namespace FineTune.Cli.Commands;

/// <summary>finetune download JOB_ID --output DIR: a finished job's model folder and report, from a remote coordinator.</summary>
public static class DownloadCommand
{
    public static Command Create()
    {
        var jobId = new Argument<string>("JOB_ID") { Description = "the job's id" };
        var output = new Option<string>("--output") { Description = "folder to write the model, results and report into", Required = true };
        var coordinator = new CoordinatorOptions();
        var command = new Command("download", "Fetch a succeeded job's output folder (Hugging Face model, results, report)") { jobId, output };
        coordinator.AddTo(command);
        command.SetAction(parse =>
        {
            using var client = coordinator.Connect(parse);
            var dir = Path.GetFullPath(parse.GetValue(output)!);
            var files = client.Download(parse.GetValue(jobId)!, dir);
            Console.Error.WriteLine($"downloaded {files.Count} files into {dir}");
            foreach (var f in files) Console.WriteLine(Path.Combine(dir, f));
            return Cli.Success;
        });
        return command;
    }
}
