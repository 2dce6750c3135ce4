using System.Text.Json.Nodes;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>
/// A job the coordinator stopped early (a sweep's poor trial) as the cluster commands show it, against the fake
/// coordinator: its final line with the reason, exit code 3 (neither success, 0, nor failure, 1 and 2), and the reason
/// in the tables and the --json job object.
/// </summary>
public class StoppedJobCliTests(FakeCoordinator fake) : IClassFixture<FakeCoordinator>
{
    FinetuneProcess.Result Run(params string[] args) => FinetuneProcess.Run([.. args, "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key]);

    [Fact]
    public void Submit_wait_and_watch_exit_3_with_the_stop_reason_as_the_final_line()
    {
        var submit = Run("submit", "--dataset", "coordinator:/stop-me", "--wait");
        Assert.True(submit.ExitCode == 3, $"exit {submit.ExitCode}: {submit.Stderr}");
        var last = submit.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Matches($"^job stop-[0-9a-f]{{8}}: stopped: {FakeJobs.StopReason}$", last);
        Assert.Contains("stopped", submit.Stdout); // the summary table: state and reason
        Assert.Matches($"(?m)^stop reason +{FakeJobs.StopReason}$", submit.Stdout);
        Assert.DoesNotContain("error", submit.Stdout);

        var watch = Run("watch", "stop-again");
        Assert.Equal(3, watch.ExitCode);
        Assert.EndsWith($"job stop-again: stopped: {FakeJobs.StopReason}\n", watch.Stderr);
    }

    [Fact]
    public void Submit_wait_json_prints_the_stopped_job_with_its_reason()
    {
        var r = Run("submit", "--dataset", "coordinator:/stop-me", "--wait", "--json");
        Assert.True(r.ExitCode == 3, $"exit {r.ExitCode}: {r.Stderr}");
        var job = JsonNode.Parse(r.Stdout)!.AsObject(); // only the JSON on stdout
        Assert.Equal(("stopped", FakeJobs.StopReason), (job["state"]!.GetValue<string>(), job["stop_reason"]!.GetValue<string>()));
        Assert.Null(job["error"]);
    }

    [Fact]
    public void Status_and_list_show_a_stopped_job_and_exit_0()
    {
        var human = Run("status", FakeJobs.Stopped);
        Assert.True(human.ExitCode == 0, human.Stderr); // status reports; only watch and submit --wait exit by the job's end
        Assert.Matches("(?m)^state +stopped$", human.Stdout);
        Assert.Matches($"(?m)^stop reason +{FakeJobs.StopReason}$", human.Stdout);

        var json = Run("status", FakeJobs.Stopped, "--json");
        Assert.Equal(FakeJobs.StopReason, JsonNode.Parse(json.Stdout)!["stop_reason"]!.GetValue<string>());

        var list = Run("list");
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains(list.Stdout.Split('\n'), l => l.StartsWith(FakeJobs.Stopped) && l.Contains(" stopped "));
        var listed = JsonNode.Parse(Run("list", "--json").Stdout)!.AsArray();
        Assert.Contains(listed, j => j!["state"]!.GetValue<string>() == "stopped" && j["stop_reason"]!.GetValue<string>() == FakeJobs.StopReason);
    }
}
