using FineTune.Core.Collectives;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>
/// The TCP ring on tensors outside host memory goes through a host copy. No CUDA here: the same path is taken for CPU
/// tensors through the test hook, with non-contiguous tensors the zero-copy path refuses, so a pass proves it ran.
/// </summary>
public class RingStagingTests
{
    [Fact]
    public void Only_tensors_outside_host_memory_need_staging()
    {
        using var t = ones(3);
        Assert.False(HostStaging.Needed(t));
        Tensor? seen = null;
        HostStaging.Run(t, always: false, host => seen = host);
        Assert.Same(t, seen); // zero-copy on the CPU
    }

    [Fact]
    public void The_staged_copy_carries_the_result_back_into_a_strided_view()
    {
        using var matrix = arange(12, ScalarType.Float32).reshape(3, 4);
        using var transposed = matrix.t();
        using var ten = 10f.ToScalar();
        HostStaging.Run(transposed, always: true, host =>
        {
            Assert.True(host.is_contiguous());
            Assert.NotEqual(transposed.Handle, host.Handle);
            host.mul_(ten);
        });
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 10f), matrix.data<float>().ToArray());
    }

    [Fact]
    public void A_staged_ring_sums_and_broadcasts_like_the_zero_copy_one()
    {
        var rings = RingHarness.Form(3);
        try
        {
            foreach (var ring in rings) ring.AlwaysStage = true;
            var sums = new float[3][];
            var broadcasts = new float[3][];
            RingHarness.ThrowAny(RingHarness.OnRanks(3, r =>
            {
                using var matrix = tensor(RingHarness.Random(r, 200 * 3)).reshape(200, 3);
                using var strided = matrix.t(); // the zero-copy path refuses this
                rings[r].AllReduceSum(strided);
                sums[r] = matrix.data<float>().ToArray();
                using var own = tensor(Enumerable.Repeat(r + 7f, 50).ToArray()).reshape(10, 5);
                using var view = own.t();
                rings[r].Broadcast(view, 2);
                broadcasts[r] = own.data<float>().ToArray();
            }));
            var inputs = Enumerable.Range(0, 3).Select(r => RingHarness.Random(r, 600)).ToArray();
            for (int i = 0; i < 600; i++) Assert.Equal(inputs[0][i] + inputs[1][i] + inputs[2][i], sums[0][i], 1e-5f);
            Assert.Equal(sums[0], sums[1]);
            Assert.All(broadcasts, b => Assert.All(b, v => Assert.Equal(9f, v)));

            rings[0].AlwaysStage = false; // the zero-copy path: refused, as the staging test above relies on
            using var t = zeros(4, 3).t();
            Assert.Contains("contiguous", Assert.Throws<ArgumentException>(() => rings[0].AllReduceSum(t)).Message);
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }
}
