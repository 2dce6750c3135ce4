using System.Reflection;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core.Arguments;
using FineTune.Core.Checkpointing;
using FineTune.Core.Tests.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Core.Tests.Coordination;

/// <summary>A job's options bound once into its spec, and carried whole, as the table writes it, to every reader.</summary>
public class JobSpecTests
{
    /// <summary>Every property of TrainingArguments set to something other than its default, by type.</summary>
    static TrainingArguments Unusual()
    {
        var spec = new TrainingArguments();
        foreach (var p in typeof(TrainingArguments).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is not null))
        {
            object value = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType switch
            {
                var t when t == typeof(string) => $"x-{p.Name}",
                var t when t == typeof(int) => 7,
                var t when t == typeof(long) => 99L,
                var t when t == typeof(double) => 0.123,
                var t when t == typeof(bool) => true,
                var t when t.IsEnum => Enum.GetValues(t).GetValue(Enum.GetValues(t).Length - 1)!,
                var t => throw new InvalidOperationException($"{p.Name}: a {t.Name} property; teach this test its unusual value"),
            };
            if (value is Type underlying) value = underlying == typeof(int) ? 5 : $"y-{p.Name}";
            p.SetValue(spec, value);
        }
        return spec with { Precision = "bf16" }; // one the table can say (its bf16/fp16 switches read it too)
    }

    [Fact]
    public void Every_option_is_carried_in_canonical_form_and_binds_back_to_the_same_spec()
    {
        var unusual = Unusual();
        var canonical = ArgumentTable.Canonical(unusual);
        Assert.Equal(ArgumentTable.Entries.Select(e => e.Key), canonical.Select(kv => kv.Key)); // every option, in table order
        // A property without an option, or an option whose text loses its value, breaks this equality.
        Assert.Equal(unusual, ArgumentTable.Bind(canonical));
        Assert.Equal(new TrainingArguments(), ArgumentTable.Bind(ArgumentTable.Canonical(new TrainingArguments())));
        Assert.All(ArgumentTable.Entries.Where(e => e.Key is not ("bf16" or "fp16")), e => Assert.NotEqual(ArgumentTable.DefaultOf(e.Key), e.Get(unusual)));
    }

    [Theory]
    [InlineData("save_total_limit", "3.0", "3")]
    [InlineData("learning_rate", "0.00002", "2E-05")]
    [InlineData("num_train_epochs", "1", "1")]
    [InlineData("eval_dataset", "", "null")]
    [InlineData("bf16", "yes", "true")]
    public void Values_are_normalized_once_at_binding(string key, string submitted, string canonical)
    {
        var spec = ArgumentTable.Bind([KeyValuePair.Create(key, submitted)]);
        Assert.Equal(canonical, ArgumentTable.Canonical(spec).Single(kv => kv.Key == key).Value);
    }

    [Fact]
    public void Save_total_limit_written_3_0_keeps_3_checkpoints_on_the_coordinator()
    {
        var c = new InProcessCoordinator();
        var spec = JobSpec.Parse(new Dictionary<string, string> { ["save_total_limit"] = "3.0" }, c.Options);
        var job = c.Accept(spec, workers: 1);
        var checkpoints = new JobCheckpoints(c.Jobs, c.Options, NullLogger<JobCheckpoints>.Instance);
        for (int step = 10; step <= 50; step += 10)
        {
            var name = Checkpoints.Prefix + step;
            var received = FineTune.Core.AtomicFolder.Begin(Path.Combine(c.Options.CheckpointsDir(job.Id), name));
            new TrainerState().Save(Path.Combine(received.Path, Checkpoints.StateFile));
            checkpoints.Keep(job, received, name);
        }
        Assert.Equal([30, 40, 50], Checkpoints.List(c.Options.CheckpointsDir(job.Id)).Select(x => x.Step));
    }

    [Fact]
    public async Task An_nccl_job_without_workers_waits_for_cuda_workers_with_the_world_size_its_placement_uses()
    {
        var c = new InProcessCoordinator();
        c.Join("cpu-0");
        c.Join("cpu-1");
        var spec = new TrainingArguments { Collective = "nccl", Device = "auto" };
        var job = c.Accept(spec); // as Submit records it: Placement.WorldSize with the workers ready now
        Assert.Equal(1, job.RequestedWorkers); // the CUDA workers it will use (none ready), at least 1: not the 2 CPU workers
        Assert.True(c.Lifecycle.OnDataReady(job));
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Queued, job.State); // never on the CPU workers
        c.Join("gpu-0", "cuda:0");
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(["gpu-0"], job.Workers);
    }

    [Fact]
    public void A_stored_job_whose_options_no_longer_bind_loads_as_failed_and_the_rest_load()
    {
        var c = new InProcessCoordinator();
        var good = c.Submit(1, id: "job-good");
        var dir = Path.Combine(c.Options.JobsDir, "job-bad");
        Directory.CreateDirectory(dir);
        var text = File.ReadAllText(Path.Combine(c.Options.JobsDir, good.Id, "job.json"))
            .Replace("\"job-good\"", "\"job-bad\"").Replace("\"learning_rate\": \"5E-05\"", "\"learning_rate\": \"fast\"");
        File.WriteAllText(Path.Combine(dir, "job.json"), text);

        var restarted = new InProcessCoordinator(c.Options.DataDir);
        var bad = restarted.Jobs.Find("job-bad")!;
        Assert.Equal((JobState.Failed, FailureKind.InvalidInput), (bad.State, bad.FailureKind));
        Assert.Equal("its options no longer bind on this coordinator: --learning-rate (learning_rate): 'fast' is not a number", bad.Error);
        Assert.Equal(JobState.Queued, restarted.Jobs.Find("job-good")!.State);
    }

    [Fact]
    public void The_job_record_and_the_jobs_api_hold_the_spec_not_an_options_map()
    {
        var c = new InProcessCoordinator();
        var job = c.Accept(new TrainingArguments { LearningRate = 2e-5, SaveTotalLimit = 3 });
        var message = JobStore.ToMessage(job);
        Assert.Equal(ArgumentTable.Entries.Count, message.Options.Count);
        Assert.Equal(("2E-05", "3", "null"), (message.Options["learning_rate"], message.Options["save_total_limit"], message.Options["eval_dataset"]));
        Assert.Null(typeof(JobRecord).GetProperty("Options"));
        var reloaded = new InProcessCoordinator(c.Options.DataDir).Jobs.Find(job.Id)!;
        Assert.Equal(job.Spec, reloaded.Spec);
    }
}
