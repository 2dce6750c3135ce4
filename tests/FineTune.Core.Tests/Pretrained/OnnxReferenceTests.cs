namespace FineTune.Core.Tests.Pretrained;

public class OnnxReferenceTests
{
    [Fact]
    public void Runs_a_padded_batch_and_returns_both_outputs()
    {
        using var onnx = new OnnxReference();
        // "hello world!" and "the food was great, really great", padded with [PAD] = 0 to 8 tokens.
        long[,] ids = { { 101, 7592, 2088, 999, 102, 0, 0, 0 }, { 101, 1996, 2833, 2001, 2307, 1010, 2428, 102 } };
        long[,] mask = { { 1, 1, 1, 1, 1, 0, 0, 0 }, { 1, 1, 1, 1, 1, 1, 1, 1 } };

        var result = onnx.Run(ids, mask);

        Assert.Equal([2L, 8, 384], result.LastHiddenStateShape);
        Assert.Equal([2L, 384], result.PoolerOutputShape);
        Assert.Equal(2 * 8 * 384, result.LastHiddenState.Length);
        Assert.All(result.LastHiddenState, v => Assert.True(float.IsFinite(v)));
        Assert.All(result.PoolerOutput, v => Assert.InRange(v, -1f, 1f)); // tanh
        Assert.NotEqual(result.Hidden(0, 0, 0), result.Hidden(1, 0, 0));
    }
}
