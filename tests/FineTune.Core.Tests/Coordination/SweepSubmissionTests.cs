using FineTune.Cli.Commands;
using FineTune.Coordinator.Sweeps;
using FineTune.Core.Sweeps;

namespace FineTune.Core.Tests.Coordination;

/// <summary>What SubmitSweep receives (the CLI's JSON with the base inline) and what it refuses at once, in one line.</summary>
public class SweepSubmissionTests
{
    readonly InProcessCoordinator c = new();

    [Fact]
    public void The_cli_sends_the_sweep_as_json_with_the_base_file_inline_and_its_paths_uploaded()
    {
        var dir = Directory.CreateTempSubdirectory("sweep-text").FullName;
        File.WriteAllText(Path.Combine(dir, "job.yaml"), "num_train_epochs: 3\ndataset: reviews.csv\n"); // max_t 3: one evaluation per epoch
        File.WriteAllText(Path.Combine(dir, "sweep.yaml"), SweepCoordinator.File.Replace("base: {num_train_epochs: 3, eval_strategy: epoch}", "base: job.yaml"));
        var (name, text) = SweepFileText.For(Path.Combine(dir, "sweep.yaml"), options => options["dataset"] = "coordinator:/uploads/abc/reviews.csv");
        Assert.Equal("sweep.json", name);
        var sent = SweepSpec.Parse(text, name);
        var local = SweepSpec.Read(Path.Combine(dir, "sweep.yaml"));
        Assert.Equal("coordinator:/uploads/abc/reviews.csv", sent.BaseArguments.Dataset);
        Assert.Equal(local.BaseArguments with { Dataset = sent.BaseArguments.Dataset }, sent.BaseArguments);
        Assert.Equal((local.Trials, local.Metric, local.EarlyStopping, local.Space.Count), (sent.Trials, sent.Metric, sent.EarlyStopping, sent.Space.Count));
        Assert.Equal(local.CreateSampler().Next(3, []), sent.CreateSampler().Next(3, []));
    }

    [Fact]
    public void A_base_file_name_is_refused_since_the_coordinator_reads_no_client_file()
    {
        var e = Assert.Throws<InvalidInputException>(() => SweepSubmission.Check("sweep.yaml", "base: /etc/job.yaml\ntrials: 2\nspace: {learning_rate: {choice: [1e-5]}}\n", "", c.Options, 1));
        Assert.StartsWith("sweep.yaml: ", e.Message);
        Assert.Contains("base: '/etc/job.yaml' is a file name: send the base job's options inline", e.Message);
    }

    [Fact]
    public void Workers_per_trial_above_the_coordinators_max_workers_is_refused_naming_the_key()
    {
        var options = c.Options with { MaxWorkers = 1 };
        var e = Assert.Throws<InvalidInputException>(() => SweepSubmission.Check("sweep.yaml", SweepCoordinator.File.Replace("workers_per_trial: 1", "workers_per_trial: 2"), "", options, 1));
        Assert.Equal("sweep.yaml: workers_per_trial: 2 is more than the coordinator's 1 workers: no trial could start", e.Message);
    }

    [Fact]
    public void A_base_path_outside_the_coordinators_roots_is_refused_as_the_bases()
    {
        var e = Assert.Throws<InvalidInputException>(() => SweepSubmission.Check("sweep.yaml", SweepCoordinator.File.Replace("num_train_epochs: 3", "dataset: /etc/passwd.csv"), "", c.Options, 1));
        Assert.StartsWith("sweep.yaml: base: --dataset (dataset): '/etc/passwd.csv' is outside the coordinator's roots", e.Message);
    }
}
