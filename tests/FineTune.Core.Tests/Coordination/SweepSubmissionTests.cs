using FineTune.Cli.Commands;
using FineTune.Coordinator.Sweeps;
using FineTune.Core.Hub;
using FineTune.Core.Sweeps;
using FineTune.Core.Tests.Training;

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

    /// <summary>A sweep file whose base (a tiny model and dataset on the coordinator's data root) has <paramref name="push"/>,
    /// for a coordinator with hub access and a token.</summary>
    (string Text, Coordinator.Jobs.CoordinatorOptions Options) Pushing(string push)
    {
        var (model, dataset, _) = TinyJobs.Setup(40);
        var options = c.Options with
        {
            DataRoots = [Path.GetDirectoryName(dataset)!],
            Hub = new HubSettings(new Uri("http://hub.test"), "hf_secret", false, Path.Combine(c.Options.DataDir, "hub")),
        };
        return (SweepCoordinator.File.Replace("base: {num_train_epochs: 3, eval_strategy: epoch}",
            $"base: {{model: {model}, dataset: {dataset}, eval_split: 0.2, max_length: 32, num_train_epochs: 3, eval_strategy: epoch, {push}}}"), options);
    }

    [Fact]
    public void A_base_that_pushes_is_accepted_the_sweep_pushes_its_output_and_its_trials_never_push()
    {
        var (text, options) = Pushing("push_to_hub: true, hub_model_id: me/swept");
        var sweep = SweepSubmission.Check("sweep.yaml", text, "", options, 1);
        Assert.True(sweep.Spec.PushesOutput);
        var trial = sweep.Spec.TrialArguments(sweep.Spec.CreateSampler().Next(0, []));
        Assert.Equal((false, "me/swept"), (trial.PushToHub, trial.HubModelId)); // the best trial's spec names the repo the sweep pushes to
        var searched = text.Replace("learning_rate: {loguniform: [1.0e-5, 1.0e-3]}", "push_to_hub: {choice: [true, false]}");
        Assert.Contains("space.push_to_hub: --push-to-hub (push_to_hub) is the sweep's own",
            Assert.Throws<InvalidInputException>(() => SweepSubmission.Check("sweep.yaml", searched, "", options, 1)).Message);
    }

    [Fact]
    public void A_base_that_pushes_is_refused_as_a_job_that_pushes_is_naming_the_field()
    {
        var (text, options) = Pushing("push_to_hub: true, hub_model_id: me/swept");
        Assert.Equal("sweep.yaml: base: --push-to-hub (push_to_hub): hub access is off on this coordinator (--hub-access false)",
            Assert.Throws<InvalidInputException>(() => SweepSubmission.Check("sweep.yaml", text, "", options with { Hub = null }, 1)).Message);
        Assert.StartsWith("sweep.yaml: base: --push-to-hub (push_to_hub): the coordinator has no Hugging Face token (set HF_TOKEN",
            Assert.Throws<InvalidInputException>(() => SweepSubmission.Check("sweep.yaml", text, "", options with { Hub = options.Hub! with { Token = null } }, 1)).Message);
        (text, options) = Pushing("push_to_hub: true");
        Assert.Equal("sweep.yaml: base: --hub-model-id (hub_model_id): required with --push-to-hub on a cluster (a job has no output folder name to take it from)",
            Assert.Throws<InvalidInputException>(() => SweepSubmission.Check("sweep.yaml", text, "", options, 1)).Message);
    }
}
