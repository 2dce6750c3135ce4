using FineTune.Coordinator.Jobs;
using FineTune.Core.Tests.Training;

namespace FineTune.Core.Tests.Coordination;

/// <summary>The coordinator's tokenization cache: keyed on content and on what changes rows, reused, stored whole.</summary>
public class TokenizationCacheTests
{
    [Fact]
    public void The_key_follows_the_data_s_content_and_the_options_that_change_rows()
    {
        var (model, dataset, _) = TinyJobs.Setup(40);
        var args = TinyJobs.Args(model, dataset, "out");
        var key = TokenizationCache.Key(args, model);

        var copy = Path.Combine(Path.GetDirectoryName(dataset)!, "copy.jsonl");
        File.Copy(dataset, copy);
        Assert.Equal(key, TokenizationCache.Key(args with { Dataset = copy }, model)); // same bytes elsewhere: same key
        Assert.Equal(key, TokenizationCache.Key(args with { LearningRate = 1, NumTrainEpochs = 9 }, model)); // training options do not count

        Assert.NotEqual(key, TokenizationCache.Key(args with { MaxLength = 16 }, model));
        Assert.NotEqual(key, TokenizationCache.Key(args with { EvalSplit = 0.3 }, model));
        Assert.NotEqual(key, TokenizationCache.Key(args with { Seed = 7 }, model));
        Assert.NotEqual(key, TokenizationCache.Key(args with { TrainSubset = 10 }, model));
        Assert.NotEqual(key, TokenizationCache.Key(args with { TextColumn = "label" }, model));
        File.AppendAllText(copy, "{\"text\": \"one more\", \"label\": 1}\n");
        Assert.NotEqual(key, TokenizationCache.Key(args with { Dataset = copy }, model));
        File.AppendAllText(Path.Combine(model, "vocab.txt"), "newword\n");
        Assert.NotEqual(key, TokenizationCache.Key(args, model)); // another tokenizer
    }

    [Fact]
    public void A_second_get_reads_the_stored_sets_instead_of_tokenizing()
    {
        var (model, dataset, _) = TinyJobs.Setup(40);
        var args = TinyJobs.Args(model, dataset, "out");
        var options = new CoordinatorOptions(Path.Combine(Path.GetDirectoryName(dataset)!, "coordinator"));
        var cache = new TokenizationCache(options);

        var first = cache.Get(args, model);
        Assert.False(first.Cached);
        Assert.True(File.Exists(Path.Combine(options.TokenizedDir, first.Key, "train.tokens")));
        Assert.Single(Directory.GetDirectories(options.TokenizedDir)); // no temporary folder left behind
        var second = cache.Get(args, model);
        Assert.True(second.Cached);
        Assert.Equal(first.LabelNames, second.LabelNames);
        Assert.Equal((first.Train.Count, first.Train.TotalTokens), (second.Train.Count, second.Train.TotalTokens));
        Assert.Equal((first.Eval.Count, first.Eval.TotalTokens), (second.Eval.Count, second.Eval.TotalTokens));
        Assert.Equal(first.Train.InputIds(3).ToArray(), second.Train.InputIds(3).ToArray());
    }

    [Fact]
    public void Submission_tokenizes_once_and_the_job_it_made_it_for_reports_it_as_its_own()
    {
        var (model, dataset, _) = TinyJobs.Setup(40);
        var args = TinyJobs.Args(model, dataset, "out");
        var cache = new TokenizationCache(new CoordinatorOptions(Path.Combine(Path.GetDirectoryName(dataset)!, "coordinator")));

        cache.Ensure(args, model); // submission: reads and tokenizes
        var first = cache.Get(args, model); // its preparation: read back, reported as this job's tokenization
        Assert.False(first.Cached);
        Assert.True(first.Seconds > 0);
        cache.Ensure(args, model); // a second submission on the same data: nothing read
        Assert.True(cache.Get(args, model).Cached);

        // --num-labels is not in the key: a cache hit still checks it.
        var e = Assert.Throws<InvalidInputException>(() => cache.Ensure(args with { NumLabels = 7 }, model));
        Assert.StartsWith("--num-labels 7:", e.Message);
    }
}
