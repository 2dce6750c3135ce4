using FineTune.Core.Data;
using FineTune.Core.Sharding;
using FineTune.Core.Tests.Data;

namespace FineTune.Core.Tests.Training;

/// <summary>The shard plan (every example once per epoch, equal steps per rank, from any offset) and its wire form.</summary>
public class ShardPlanTests
{
    static TokenizedDataset Data(int n)
    {
        var random = new Random(3);
        var examples = Enumerable.Range(0, n).Select(i => new LabeledExample(DataFixtures.Words(1 + random.Next(20)), null, i % 3)).ToArray();
        return TokenizedDataset.Build(examples, DataFixtures.Tokenizer(), 64);
    }

    static int[] Examples(IReadOnlyList<UpdateWindow> windows) => windows.SelectMany(w => w.MicroBatches).SelectMany(m => m).ToArray();

    [Theory]
    [InlineData(101, 4, 1, false)]
    [InlineData(101, 3, 2, true)]
    [InlineData(7, 4, 1, false)] // fewer examples than a global batch
    public void Every_example_once_per_epoch_and_the_same_steps_on_every_rank(int n, int batch, int accumulation, bool grouped)
    {
        var data = Data(n);
        foreach (int world in new[] { 1, 2, 3, 5 })
        {
            var plan = new ShardPlan(data, world, batch, accumulation, 42, grouped);
            var ranks = Enumerable.Range(0, world).Select(r => plan.Windows(1, r)).ToList();
            Assert.All(ranks, w => Assert.Equal(plan.StepsPerEpoch, w.Count));
            Assert.Equal(Enumerable.Range(0, n), ranks.SelectMany(Examples).Order());
            for (int s = 0; s < plan.StepsPerEpoch; s++) // every rank agrees on the window's global size
                Assert.Single(ranks.Select(w => w[s].GlobalExamples).Distinct());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_rest_of_an_epoch_from_an_offset_is_re_planned_for_another_world_size_without_losing_or_repeating(bool grouped)
    {
        // Started with 3 ranks; at example 37 of epoch 2 the group becomes 2 ranks (or 5): the rest is cut for them.
        var data = Data(113);
        int batch = 4, started = 3;
        var order = new ShardPlan(data, started, batch, 1, 42, grouped).Order(2);
        foreach (int world in new[] { 1, 2, 3, 5 })
            foreach (int start in new[] { 0, 37, 112, 113 })
            {
                var plan = new ShardPlan(data, world, batch, 2, 42, grouped, orderBatchSize: batch * started);
                Assert.Equal(order, plan.Order(2)); // the epoch's order does not depend on who runs the rest of it
                var ranks = Enumerable.Range(0, world).Select(r => plan.Windows(2, r, start)).ToList();
                var rest = ranks.SelectMany(Examples).ToArray();
                Assert.Equal(rest.Length, rest.Distinct().Count()); // no duplicates
                Assert.Equal(order[start..].Order(), rest.Order()); // exactly order[start..]
                Assert.Single(ranks.Select(w => w.Count).Distinct()); // equal step counts across ranks
                Assert.Equal(plan.StepsFor(113 - start), ranks[0].Count);
                // Within each global batch the ranks interleave order[start..] exactly as a fresh plan would.
                if (world == 1) Assert.Equal(order[start..], rest);
            }
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardPlan(data, 2, batch, 1, 42, grouped).Windows(0, 0, 114));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardPlan(data, 2, batch, 1, 42, grouped).Windows(0, 2));
    }

    [Fact]
    public void A_compacted_shard_survives_its_wire_form_and_holds_the_rank_s_examples_in_order()
    {
        var data = Data(50);
        var windows = new ShardPlan(data, 3, 4, 2, 42, groupByLength: true).Windows(0, 1);
        var shard = EpochShard.Compact(data, windows);
        using var bytes = new MemoryStream();
        shard.Write(bytes);
        bytes.Position = 0;
        var back = EpochShard.Read(bytes);

        Assert.Equal(windows.Count, back.Windows.Count);
        var original = Examples(windows);
        Assert.Equal(original.Length, back.Examples.Count);
        for (int k = 0; k < original.Length; k++)
        {
            Assert.Equal(data.InputIds(original[k]).ToArray(), back.Examples.InputIds(k).ToArray());
            Assert.Equal(data.Label(original[k]), back.Examples.Label(k));
        }
        for (int w = 0; w < windows.Count; w++)
        {
            Assert.Equal(windows[w].GlobalExamples, back.Windows[w].GlobalExamples);
            Assert.Equal(windows[w].MicroBatches.Select(m => m.Length), back.Windows[w].MicroBatches.Select(m => m.Length));
        }

        var damaged = bytes.ToArray()[..^3];
        Assert.Throws<InvalidDataException>(() => EpochShard.Read(new MemoryStream(damaged)));
        Assert.Throws<InvalidDataException>(() => EpochShard.Read(new MemoryStream("FTTD0000"u8.ToArray())));
    }
}
