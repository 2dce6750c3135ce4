using System.Text.Json.Nodes;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>
/// Sweeps and their trials as the cluster commands show them, against the fake coordinator: `sweep status` (each
/// trial's index, job id, state, metric, parameters and reason; the best trial; the test score), `sweep list`, their
/// --json, and a trial's job naming its sweep in `status`, `list` and the --json job object.
/// </summary>
public class SweepClusterCliTests(FakeCoordinator fake) : IClassFixture<FakeCoordinator>
{
    FinetuneProcess.Result Run(params string[] args) => FinetuneProcess.Run([.. args, "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key]);

    [Fact]
    public void Sweep_status_shows_every_trial_the_best_and_the_test_score()
    {
        var r = Run("sweep", "status", FakeJobs.SweepDone);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"sweep {FakeJobs.SweepDone}: succeeded, 3/3 trials (0 running), best trial 0 eval_accuracy 0.91", lines[0]);
        Assert.Equal($"  trial 0  {FakeJobs.Trial}  succeeded  eval_accuracy 0.91 after 2 evaluation(s)  learning_rate=0.001 warmup_ratio=0.1", lines[1]);
        Assert.Equal($"  trial 1  job-trial-1  stopped  eval_accuracy 0.55 after 1 evaluation(s)  learning_rate=0.01 warmup_ratio=0  ({FakeJobs.AshaReason})", lines[2]);
        Assert.Equal("  trial 2  job-trial-2  failed  no evaluation yet  learning_rate=1e-05 warmup_ratio=0  (worker-0 lost)", lines[3]);
        Assert.Equal("  test set (best trial, scored once by job-test): test_accuracy 0.9, test_loss 0.25", lines[4]);
        Assert.Equal(5, lines.Length);

        var unknown = Run("sweep", "status", "sweep-nope");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no sweep 'sweep-nope'", unknown.Stderr);
    }

    [Fact]
    public void Sweep_status_json_writes_zero_and_false_values_too()
    {
        var r = Run("sweep", "status", FakeJobs.SweepDone, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var sweep = JsonNode.Parse(r.Stdout)!; // only the JSON on stdout
        Assert.Equal(0, (int)sweep["bestTrial"]!); // 0 is a trial, not an absence
        var trials = sweep["trials"]!.AsArray();
        Assert.Equal([0, 1, 2], trials.Select(t => (int)t!["index"]!));
        Assert.Equal([FakeJobs.Trial, "job-trial-1", "job-trial-2"], trials.Select(t => (string)t!["jobId"]!));
        Assert.False((bool)trials[2]!["hasMetric"]!);
        Assert.Equal(FakeJobs.AshaReason, (string)trials[1]!["reason"]!);
        Assert.Equal(0.9, (double)sweep["testMetrics"]!["test_accuracy"]!);
    }

    [Fact]
    public void Sweep_list_shows_one_headline_per_sweep()
    {
        var r = Run("sweep", "list");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(
            [$"sweep {FakeJobs.SweepDone}: succeeded, 3/3 trials (0 running), best trial 0 eval_accuracy 0.91", $"sweep {FakeJobs.SweepLive}: running, 1/4 trials (1 running)"],
            r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var json = JsonNode.Parse(Run("sweep", "list", "--json").Stdout)!.AsArray();
        Assert.Equal([FakeJobs.SweepDone, FakeJobs.SweepLive], json.Select(s => (string)s!["id"]!));
        Assert.Equal(-1, (int)json[1]!["bestTrial"]!);
    }

    [Fact]
    public void A_trials_job_names_its_sweep_in_status_list_and_the_job_object()
    {
        var human = Run("status", FakeJobs.Trial);
        Assert.True(human.ExitCode == 0, human.Stderr);
        Assert.Matches($"(?m)^sweep +{FakeJobs.SweepDone} \\(a trial: finetune sweep status {FakeJobs.SweepDone}\\)$", human.Stdout);
        Assert.DoesNotMatch("(?m)^sweep ", Run("status", FakeJobs.Done).Stdout); // an ordinary job has no sweep row

        Assert.Equal(FakeJobs.SweepDone, (string?)JsonNode.Parse(Run("status", FakeJobs.Trial, "--json").Stdout)!["sweep_id"]);
        var ordinary = JsonNode.Parse(Run("status", FakeJobs.Done, "--json").Stdout)!.AsObject();
        Assert.True(ordinary.ContainsKey("sweep_id") && ordinary["sweep_id"] is null);

        var list = Run("list").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("sweep", list[0]);
        Assert.Contains(list, l => l.StartsWith(FakeJobs.Trial + " ", StringComparison.Ordinal) && l.EndsWith("  " + FakeJobs.SweepDone, StringComparison.Ordinal));
        Assert.Contains(list, l => l.StartsWith(FakeJobs.Done + " ", StringComparison.Ordinal) && l.EndsWith("  -", StringComparison.Ordinal));
        var listed = JsonNode.Parse(Run("list", "--json").Stdout)!.AsArray();
        Assert.Contains(listed, j => (string)j!["id"]! == FakeJobs.Trial && (string?)j["sweep_id"] == FakeJobs.SweepDone);
    }
}
