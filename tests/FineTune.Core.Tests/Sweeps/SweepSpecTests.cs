using System.Text.Json;
using FineTune.Core.Arguments;
using FineTune.Core.Sweeps;

namespace FineTune.Core.Tests.Sweeps;

public class SweepSpecTests
{
    [Fact]
    public void A_yaml_sweep_reads_every_key_and_binds_its_base_file_through_the_table()
    {
        var files = new SweepFiles();
        files.Write("job.yaml", SweepFiles.JobYaml);
        var spec = SweepSpec.Read(files.Write("sweep.yaml", SweepFiles.SweepYaml));

        Assert.Equal([("dataset", "reviews.csv"), ("num_train_epochs", "3"), ("eval_strategy", "epoch"), ("learning_rate", "5e-5")], spec.BaseOptions);
        Assert.Equal(("reviews.csv", 3.0), (spec.BaseArguments.Dataset, spec.BaseArguments.NumTrainEpochs));
        Assert.Equal(("eval_accuracy", true, 16, 1, "random"), (spec.Metric, spec.GreaterIsBetter, spec.Trials, spec.WorkersPerTrial, spec.Sampler));
        Assert.Equal(new AshaOptions(1, 3, 3), spec.EarlyStopping);
        Assert.Equal((0.1, 42L, 16), (spec.ValidationSplit, spec.Seed, spec.PlannedTrials));
        Assert.Null(spec.PlanNote);
        Assert.Equal(["learning_rate", "per_device_train_batch_size", "warmup_ratio"], spec.Space.Select(d => d.Key));
        Assert.Equal([Distribution.LogUniform, Distribution.Choice, Distribution.Uniform], spec.Space.Select(d => d.Distribution));
        Assert.Equal((1e-5, 3e-4), (spec.Space[0].Low, spec.Space[0].High));
        Assert.Equal(["8", "16", "32"], spec.Space[1].Choices);
        Assert.Equal((0.0, 0.2), (spec.Space[2].Low, spec.Space[2].High));
        Assert.IsType<RandomSampler>(spec.CreateSampler());
        Assert.Equal([1], spec.CreateScheduler()!.Rungs);
    }

    [Fact]
    public void A_json_sweep_with_an_inline_base_reads_as_the_yaml_one_with_a_base_file()
    {
        var files = new SweepFiles();
        files.Write("job.yaml", SweepFiles.JobYaml);
        var yaml = SweepSpec.Read(files.Write("sweep.yaml", SweepFiles.SweepYaml));
        var json = SweepSpec.Read(files.Write("sweep.json", """
            {"base": {"dataset": "reviews.csv", "epochs": 3, "eval_strategy": "epoch", "learning_rate": 5e-5},
             "metric": "eval_accuracy", "trials": 16, "workers_per_trial": 1, "sampler": "random",
             "early_stopping": {"type": "asha", "grace_period": 1, "max_t": 3, "reduction_factor": 3},
             "validation_split": 0.1, "seed": 42,
             "space": {"learning_rate": {"loguniform": [1.0e-5, 3.0e-4]}, "batch_size": {"choice": [8, 16, 32]},
                       "warmup_ratio": {"uniform": [0.0, 0.2]}}}
            """));

        Assert.Equal(yaml.BaseOptions, json.BaseOptions);
        Assert.Equal(JsonSerializer.Serialize(yaml.BaseArguments), JsonSerializer.Serialize(json.BaseArguments));
        Assert.Equal(yaml.Space.Select(d => (d.Key, d.Distribution, d.Low, d.High, string.Join(",", d.Choices))),
            json.Space.Select(d => (d.Key, d.Distribution, d.Low, d.High, string.Join(",", d.Choices))));
        var config = yaml.CreateSampler().Next(3, []);
        Assert.Equal(config, json.CreateSampler().Next(3, []));
    }

    [Fact]
    public void Unset_keys_take_their_defaults_and_the_direction_follows_the_metric()
    {
        var files = new SweepFiles();
        var spec = SweepSpec.Read(files.Write("sweep.yaml", "base: {metric_for_best_model: eval_loss}\ntrials: 4\nspace:\n  learning_rate: {loguniform: [1e-5, 1e-4]}\n"));
        Assert.Equal(("eval_loss", false), (spec.Metric, spec.GreaterIsBetter));
        Assert.Equal((SweepSpec.DefaultSampler, 1, SweepSpec.DefaultValidationSplit, SweepSpec.DefaultSeed), (spec.Sampler, spec.WorkersPerTrial, spec.ValidationSplit, spec.Seed));
        Assert.Null(spec.EarlyStopping);
        Assert.Equal([("metric_for_best_model", "eval_loss")], spec.BaseOptions);

        var noBase = SweepSpec.Read(files.Write("bare.yaml", "trials: 2\nmetric: f1\nspace: {weight_decay: {choice: [0, 0.01]}}\n"));
        Assert.Equal(("default", "f1", true), (noBase.BaseArguments.Model, noBase.Metric, noBase.GreaterIsBetter));
        Assert.Equal(["0", "0.01"], noBase.Space[0].Choices);
    }

    [Fact]
    public void Trial_arguments_are_the_base_with_the_sweep_settings_and_the_config_applied_through_the_table()
    {
        var files = new SweepFiles();
        files.Write("job.yaml", SweepFiles.JobYaml);
        var spec = SweepSpec.Read(files.Write("sweep.yaml", SweepFiles.SweepYaml.Replace("workers_per_trial: 1", "workers_per_trial: 2")));
        var config = new TrialConfig([KeyValuePair.Create("learning_rate", "3E-05"), KeyValuePair.Create("per_device_train_batch_size", "16"), KeyValuePair.Create("warmup_ratio", "0.1")]);

        var args = spec.TrialArguments(config);
        Assert.Equal((3e-5, 16, 0.1), (args.LearningRate, args.PerDeviceTrainBatchSize, args.WarmupRatio));
        Assert.Equal((2, 2, "eval_accuracy", 1), (args.Workers, args.MinWorkers, args.MetricForBestModel, args.SaveTotalLimit));
        Assert.Equal(("reviews.csv", 3.0), (args.Dataset, args.NumTrainEpochs));

        // What the base sets itself stays: min_workers and save_total_limit.
        var own = SweepSpec.Read(files.Write("own.yaml", "base: {min_workers: 1, save_total_limit: 3}\nworkers_per_trial: 2\ntrials: 1\nspace: {seed: {int: [1, 3]}}\n"));
        var ownArgs = own.TrialArguments(new TrialConfig([KeyValuePair.Create("seed", "2")]));
        Assert.Equal((2, 1, 3, 2L), (ownArgs.Workers, ownArgs.MinWorkers, ownArgs.SaveTotalLimit, ownArgs.Seed));
    }

    [Fact]
    public void Every_sampled_config_is_validated_with_the_tables_rules()
    {
        var files = new SweepFiles();
        // Each dimension's bounds pass alone; a config with both warmups set does not.
        var spec = SweepSpec.Read(files.Write("sweep.yaml", "trials: 4\nsampler: random\nspace:\n  warmup_steps: {int: [0, 10]}\n  warmup_ratio: {uniform: [0.0, 0.2]}\n"));
        var both = new TrialConfig([KeyValuePair.Create("warmup_steps", "5"), KeyValuePair.Create("warmup_ratio", "0.1")]);
        var e = Assert.Throws<InvalidInputException>(() => spec.TrialArguments(both));
        Assert.Equal("trial warmup_steps=5 warmup_ratio=0.1: --warmup-steps (warmup_steps): and --warmup-ratio (warmup_ratio) both given: choose one", e.Message);
        Assert.Equal(0.1, spec.TrialArguments(new TrialConfig([KeyValuePair.Create("warmup_steps", "0"), KeyValuePair.Create("warmup_ratio", "0.1")])).WarmupRatio);

        var outside = new TrialConfig([KeyValuePair.Create("workers", "8")]);
        Assert.Equal("trial workers=8: 'workers' is not in the sweep's space", Assert.Throws<InvalidInputException>(() => spec.TrialArguments(outside)).Message);
        var unparsable = new TrialConfig([KeyValuePair.Create("warmup_steps", "many")]);
        Assert.Equal("trial warmup_steps=many: --warmup-steps (warmup_steps): 'many' is not an integer", Assert.Throws<InvalidInputException>(() => spec.TrialArguments(unparsable)).Message);
    }

    [Fact]
    public void A_coordinator_with_too_few_workers_is_refused_in_one_line()
    {
        var files = new SweepFiles();
        var path = files.Write("sweep.yaml", "trials: 2\nsampler: random\nworkers_per_trial: 3\nspace: {seed: {int: [1, 2]}}\n");
        var spec = SweepSpec.Read(path);
        spec.CheckWorkers(3);
        var e = Assert.Throws<InvalidInputException>(() => spec.CheckWorkers(2));
        Assert.Equal($"{path}: workers_per_trial: 3 is more than the coordinator's 2 workers: no trial could start", e.Message);
    }

    [Fact]
    public void A_grid_smaller_than_the_trials_asked_for_runs_the_grid_and_says_so()
    {
        var files = new SweepFiles();
        var path = files.Write("sweep.yaml", "trials: 16\nsampler: grid\nspace:\n  per_device_train_batch_size: {choice: [8, 16]}\n  seed: {int: [1, 3]}\n");
        var spec = SweepSpec.Read(path);
        Assert.Equal((16, 6, 6), (spec.Trials, spec.PlannedTrials, spec.CreateSampler().Size));
        Assert.Equal($"{path}: trials: the grid has 6 combinations, fewer than the 16 trials asked for: the sweep runs 6", spec.PlanNote);

        var whole = SweepSpec.Read(files.Write("whole.yaml", "sampler: grid\nspace:\n  per_device_train_batch_size: {choice: [8, 16]}\n  seed: {int: [1, 3]}\n"));
        Assert.Equal((6, 6), (whole.Trials, whole.PlannedTrials));
        Assert.Null(whole.PlanNote);
    }

    [Fact]
    public void Space_values_are_canonical_table_text_and_aliases_resolve_to_table_keys()
    {
        var files = new SweepFiles();
        var spec = SweepSpec.Read(files.Write("sweep.yaml", "trials: 1\nsampler: grid\nspace:\n  batch_size: {choice: [8.0, 16]}\n  group_by_length: {choice: [yes, false]}\n  lr_scheduler: {choice: [linear, cosine]}\n"));
        Assert.Equal(["per_device_train_batch_size", "group_by_length", "lr_scheduler_type"], spec.Space.Select(d => d.Key));
        Assert.Equal(["8", "16"], spec.Space[0].Choices);
        Assert.Equal(["true", "false"], spec.Space[1].Choices);
        Assert.Equal("per_device_train_batch_size=8 group_by_length=true lr_scheduler_type=linear", spec.CreateSampler().Next(0, []).ToString());
        Assert.Equal("8", ArgumentTable.Canonical(spec.TrialArguments(spec.CreateSampler().Next(0, []))).First(kv => kv.Key == "per_device_train_batch_size").Value);
    }
}
