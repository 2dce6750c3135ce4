using System.CommandLine;

namespace FineTune.Cli.Commands;

/// <summary>finetune cancel JOB_ID: stop a queued or running job; prints its new state.</summary>
public static class CancelCommand
{
    public static Command Create()
    {
        var jobId = new Argument<string>("JOB_ID") { Description = "the job's id (from submit or list)" };
        var coordinator = new CoordinatorOptions();
        var command = new Command("cancel", "Cancel a queued or running job") { jobId };
        coordinator.AddTo(command);
        command.SetAction(parse =>
        {
            using var client = coordinator.Connect(parse);
            var job = client.Cancel(parse.GetValue(jobId)!);
            Console.WriteLine(job.State);
            return Cli.Success;
        });
        return command;
    }
}
