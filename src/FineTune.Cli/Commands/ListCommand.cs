using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace FineTune.Cli.Commands;

/// <summary>finetune list [--json]: the coordinator's jobs, one row each (--json: an array of job objects).</summary>
public static class ListCommand
{
    public static Command Create()
    {
        var coordinator = new CoordinatorOptions();
        var json = CommonOptions.Json();
        var command = new Command("list", "List the coordinator's jobs");
        coordinator.AddTo(command);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            using var client = coordinator.Connect(parse);
            var jobs = client.List();
            if (parse.GetValue(json))
            {
                Console.WriteLine(new JsonArray(jobs.Select(j => (JsonNode?)CoordinatorClient.ToJson(j)).ToArray()).ToJsonString(Json.Indented));
                return Cli.Success;
            }
            if (jobs.Count == 0)
            {
                Console.Error.WriteLine("no jobs yet: submit one with `finetune submit`");
                return Cli.Success;
            }
            var table = new Table("id", "state", "world size", "step", "created", "sweep");
            foreach (var job in jobs)
                table.Add(job.Id, job.State, job.WorldSize.ToString(CultureInfo.InvariantCulture), StatusCommand.Step(job), Created(job.CreatedUnixMs), job.SweepId is "" ? "-" : job.SweepId);
            table.Write(Console.Out);
            return Cli.Success;
        });
        return command;
    }

    static string Created(long unixMs) =>
        unixMs <= 0 ? "-" : DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
