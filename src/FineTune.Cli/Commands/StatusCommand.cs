using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using FineTune.Contracts;
using FineTune.Contracts.V1;

namespace FineTune.Cli.Commands;

/// <summary>finetune status JOB_ID [--json]: one job as the coordinator sees it.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var jobId = new Argument<string>("JOB_ID") { Description = "the job's id (from submit or list)" };
        var coordinator = new CoordinatorOptions();
        var json = CommonOptions.Json();
        var command = new Command("status", "Show a job's state, progress and metrics") { jobId };
        coordinator.AddTo(command);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            using var client = coordinator.Connect(parse);
            var job = client.Get(parse.GetValue(jobId)!);
            if (parse.GetValue(json)) Console.WriteLine(CoordinatorClient.ToJson(job).ToJsonString(Json.Indented));
            else PrintSummary(job);
            return Cli.Success;
        });
        return command;
    }

    /// <summary>The short human view of a job (status, and the end of watch and submit --wait).</summary>
    public static void PrintSummary(Job job)
    {
        var table = new Table("job", job.Id);
        table.Add("state", job.State);
        if (job.SweepId is not "") table.Add("sweep", $"{job.SweepId} ({(job.Kind == JobKinds.Evaluate ? "its test set's scoring" : "a trial")}: finetune sweep status {job.SweepId})");
        table.Add("world size", job.WorldSize.ToString(CultureInfo.InvariantCulture));
        table.Add("workers", job.Workers.Count == 0 ? "-" : string.Join(", ", job.Workers));
        table.Add("step", Step(job));
        if (job.Data is { } data && data.Phase is not ("" or DataPhase.Ready)) table.Add("data", DataLine(data));
        foreach (var source in job.HubSources) table.Add(source.Input.Replace('_', ' '), $"{source.Id}@{source.Revision} (commit {source.Commit[..Math.Min(12, source.Commit.Length)]})");
        if (CoordinatorClient.ToJson(job)["metrics"] is JsonObject metrics && metrics["eval_accuracy"] is JsonValue accuracy && accuracy.TryGetValue<double>(out var a))
            table.Add("eval_accuracy", a.ToString("0.0000", CultureInfo.InvariantCulture));
        if (job.OutputDir is not "") table.Add("output", job.OutputDir);
        if (job.Push is { State.Length: > 0 } push)
            table.Add("push", $"{push.State} {push.Repo}@{push.Revision}{(push.Commit is { Length: > 0 } c ? $" (commit {c[..Math.Min(12, c.Length)]})" : "")}{(push.Error is { Length: > 0 } e ? $": {e}" : "")}");
        if (job.Error is not "") table.Add("error", job.Error);
        if (job.StopReason is not "") table.Add("stop reason", job.StopReason);
        table.Write(Console.Out);
    }

    /// <summary>"tokenizing 120,000/652,000 examples": the data work's progress in words.</summary>
    public static string DataLine(DataProgress d) => d.Phase switch
    {
        DataPhase.Downloading => "downloading: the hub ids into the coordinator's cache",
        DataPhase.Reading => string.Create(CultureInfo.InvariantCulture, $"reading: {d.ExamplesRead:N0} examples read"),
        DataPhase.Tokenizing => string.Create(CultureInfo.InvariantCulture, $"tokenizing: {d.ExamplesTokenized:N0}/{d.ExamplesTotal:N0} examples"),
        var phase => phase,
    };

    /// <summary>watch and submit --wait: 0 for a job that succeeded, 2 for one that failed on its input, 3 for one stopped early, else 1.</summary>
    public static int ExitCode(Job job) => JobStates.StateOf(job) switch
    {
        JobState.Succeeded => Cli.Success,
        JobState.Failed => FailureKinds.ExitCode(job.FailureKind),
        JobState.Stopped => Cli.Stopped,
        _ => Cli.Failed,
    };

    public static string Step(Job job) => job.MaxSteps > 0 ? $"{job.GlobalStep}/{job.MaxSteps}" : job.GlobalStep.ToString(CultureInfo.InvariantCulture);
}
