using System.Text.Json;
using FineTune.Core.Arguments;

namespace FineTune.Core.Tests.Training;

/// <summary>One spec reader, one binder, one bad-request predicate: the CLI, the coordinator and the workers share them.</summary>
public class OptionsPipelineTests
{
    [Fact]
    public void A_spec_file_reads_as_table_keys_and_binds_as_the_file_applies()
    {
        var dir = Directory.CreateTempSubdirectory("finetune-spec-").FullName;
        var yaml = Path.Combine(dir, "job.yaml");
        File.WriteAllText(yaml, "epochs: 2\nlearning_rate: 1e-4\nevaluation_strategy: steps\neval_steps: 5\ngroup_by_length: true\n");
        var read = ArgumentTable.ReadFile(yaml);
        Assert.Equal([("num_train_epochs", "2"), ("learning_rate", "1e-4"), ("eval_strategy", "steps"), ("eval_steps", "5"), ("group_by_length", "true")], read);

        // What `finetune submit -f` sends, bound as the coordinator and the workers bind it, equals what `finetune train -f` applies.
        var bound = ArgumentTable.Bind(read.Select(kv => KeyValuePair.Create(kv.Key, kv.Value)));
        var applied = new TrainingArguments();
        applied = ArgumentTable.ApplyFile(applied, yaml);
        Assert.Equal(JsonSerializer.Serialize(applied), JsonSerializer.Serialize(bound));
        Assert.Equal((2.0, 1e-4, "steps", 5, true), (bound.NumTrainEpochs, bound.LearningRate, bound.EvalStrategy, bound.EvalSteps, bound.GroupByLength));
    }

    [Fact]
    public void Binding_names_the_option_by_flag_and_key_and_may_rewrite_values_first()
    {
        var e = Assert.Throws<InvalidInputException>(() => ArgumentTable.Bind([KeyValuePair.Create("epochs", "many")]));
        Assert.Equal("--epochs (num_train_epochs): 'many' is not a number", e.Message);
        Assert.Contains("unknown option 'learning_rat'", Assert.Throws<InvalidInputException>(() => ArgumentTable.Bind([KeyValuePair.Create("learning_rat", "1")])).Message);
        var args = ArgumentTable.Bind([KeyValuePair.Create("dataset", "reviews.csv")], (key, value) => key == "dataset" ? "/data/" + value : value);
        Assert.Equal("/data/reviews.csv", args.Dataset);
    }

    [Fact]
    public void A_bad_request_is_one_predicate_for_the_cli_and_the_jobs_api_through_wrappers()
    {
        Exception[] bad = [new InvalidInputException("x"), new FileNotFoundException("x"), new DirectoryNotFoundException("x"), new UnauthorizedAccessException("x"),
            new System.Text.DecoderFallbackException("x"), new AggregateException(new InvalidInputException("x")), new AggregateException(new FileNotFoundException("x"))];
        Exception[] faults = [new IOException("disk"), new InvalidOperationException("bug"), new OutOfMemoryException(), new AggregateException(new IOException("a"), new IOException("b"))];
        Assert.All(bad, e => Assert.True(Faults.IsBadRequest(e), e.GetType().Name));
        Assert.All(faults, e => Assert.False(Faults.IsBadRequest(e), e.GetType().Name));
        // A worker's verdict is narrower: a file missing there is a fault to recover from (ErrorTextTests).
        Assert.False(Faults.IsInvalidInput(new FileNotFoundException("a blob vanished")));
    }
}
