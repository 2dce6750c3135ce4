using FineTune.Core.Training;

namespace FineTune.Core.Tests.Training;

public class BucketPlanTests
{
    // embeddings 100, three layers of 10 (two parameters each), a head of 4; the loss slot makes 135.
    static readonly (string, long)[] Bert =
    [
        ("bert.embeddings.word", 100),
        ("bert.encoder.layer.0.a", 6), ("bert.encoder.layer.0.b", 4),
        ("bert.encoder.layer.1.a", 6), ("bert.encoder.layer.1.b", 4),
        ("bert.encoder.layer.2.a", 6), ("bert.encoder.layer.2.b", 4),
        ("classifier.weight", 4),
    ];

    static readonly string[] Layers = ["bert.encoder.layer.0.", "bert.encoder.layer.1.", "bert.encoder.layer.2."];

    [Fact]
    public void Buckets_hold_whole_layers_from_the_end_and_the_embeddings_come_last()
    {
        var plan = BucketPlan.For(Bert, Layers, bucketFloats: 25)!;
        Assert.Equal([100L, 110, 120], plan.Frontiers);
        Assert.Equal(135, plan.Total);
        // [110, 135) = layers 1-2, head and loss slot (25 floats); [100, 110) = layer 0; [0, 100) = the embeddings.
        Assert.Equal([110L, 100, 0], plan.Starts);
        Assert.Equal([135L, 110, 100], Enumerable.Range(0, plan.Count).Select(plan.End));
    }

    [Fact]
    public void A_large_cap_leaves_the_layers_in_one_bucket_and_a_tiny_one_gives_each_layer_its_own()
    {
        Assert.Equal([100L, 0], BucketPlan.For(Bert, Layers, bucketFloats: 40)!.Starts);
        Assert.Equal([0L], BucketPlan.For(Bert, Layers, bucketFloats: 1000)!.Starts);
        Assert.Equal([120L, 110, 100, 0], BucketPlan.For(Bert, Layers, bucketFloats: 1)!.Starts);
    }

    [Fact]
    public void No_plan_when_layers_are_not_contiguous_runs_in_forward_order()
    {
        (string, long)[] interleaved = [("e", 5), ("bert.encoder.layer.0.a", 1), ("bert.encoder.layer.1.a", 1), ("bert.encoder.layer.0.b", 1)];
        Assert.Null(BucketPlan.For(interleaved, ["bert.encoder.layer.0.", "bert.encoder.layer.1."], 10));
        (string, long)[] reversed = [("e", 5), ("bert.encoder.layer.1.a", 1), ("bert.encoder.layer.0.a", 1)];
        Assert.Null(BucketPlan.For(reversed, ["bert.encoder.layer.0.", "bert.encoder.layer.1."], 10));
        Assert.Null(BucketPlan.For(Bert, [], 10));
    }
}
