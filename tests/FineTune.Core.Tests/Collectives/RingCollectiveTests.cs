using FineTune.Core.Collectives;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>The ring's results: all-reduce against a plain sum, broadcast, barrier, on rings of 1 to 5 ranks.</summary>
public class RingCollectiveTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void AllReduceSum_matches_a_plain_sum_for_any_length(int n)
    {
        // Lengths: empty, shorter than N, N-1, not divisible by N, several chunks per segment; consecutive calls on one ring.
        int[] lengths = [0, 1, 3, Math.Max(n - 1, 0), 1000, 1_000_003, 7];
        var rings = RingHarness.Form(n);
        try
        {
            for (int call = 0; call < lengths.Length; call++)
            {
                int length = lengths[call];
                var inputs = Enumerable.Range(0, n).Select(r => RingHarness.Random(1000 * call + r, length)).ToArray();
                var results = new float[n][];
                RingHarness.ThrowAny(RingHarness.OnRanks(n, r =>
                {
                    using var t = tensor(inputs[r]);
                    rings[r].AllReduceSum(t);
                    results[r] = t.data<float>().ToArray();
                }));
                for (int i = 0; i < length; i++)
                {
                    double expected = 0;
                    for (int r = 0; r < n; r++) expected += inputs[r][i];
                    if (Math.Abs(results[0][i] - expected) > 1e-5) Assert.Fail($"length {length}, element {i}: {results[0][i]} != {expected}");
                }
                // Bit-identical on every rank (the all-gather copies the reduced segments), so parameters never drift apart.
                for (int r = 1; r < n; r++) Assert.True(results[0].AsSpan().SequenceEqual(results[r]), $"length {length}: rank {r} differs from rank 0");
            }
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }

    [Fact]
    public void AllReduce_works_on_a_view_and_leaves_the_rest_of_the_storage_alone()
    {
        var rings = RingHarness.Form(3);
        try
        {
            var results = new float[3][];
            RingHarness.ThrowAny(RingHarness.OnRanks(3, r =>
            {
                using var whole = full(1000, 5f);
                using var view = whole.narrow(0, 100, 300);
                view.fill_(r + 1);
                rings[r].AllReduceSum(view);
                results[r] = whole.data<float>().ToArray();
            }));
            foreach (var result in results)
            {
                Assert.All(result[..100], v => Assert.Equal(5f, v));
                Assert.All(result[100..400], v => Assert.Equal(6f, v)); // 1 + 2 + 3
                Assert.All(result[400..], v => Assert.Equal(5f, v));
            }
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }

    [Fact]
    public void AllReduceAverage_divides_by_the_world_size()
    {
        var rings = RingHarness.Form(4);
        try
        {
            var results = new float[4][];
            RingHarness.ThrowAny(RingHarness.OnRanks(4, r =>
            {
                using var t = full(10, (float)r);
                ((ICollective)rings[r]).AllReduceAverage(t);
                results[r] = t.data<float>().ToArray();
            }));
            Assert.All(results, result => Assert.All(result, v => Assert.Equal(1.5f, v)));
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Broadcast_copies_the_root_to_every_rank(int n)
    {
        var rings = RingHarness.Form(n);
        try
        {
            foreach (int length in new[] { 0, 5, 100_003 })
            {
                for (int root = 0; root < n; root++)
                {
                    var source = RingHarness.Random(root + length, length);
                    var results = new float[n][];
                    RingHarness.ThrowAny(RingHarness.OnRanks(n, r =>
                    {
                        using var t = r == root ? tensor(source) : full(length, -7f);
                        rings[r].Broadcast(t, root);
                        results[r] = t.data<float>().ToArray();
                    }));
                    Assert.All(results, result => Assert.Equal(source, result));
                }
            }
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }

    [Fact]
    public void Barrier_waits_for_the_last_rank()
    {
        var rings = RingHarness.Form(3);
        try
        {
            var left = new DateTime[3];
            var entered = DateTime.UtcNow;
            RingHarness.ThrowAny(RingHarness.OnRanks(3, r =>
            {
                if (r == 1) Thread.Sleep(400);
                rings[r].Barrier();
                left[r] = DateTime.UtcNow;
            }));
            Assert.All(left, t => Assert.True(t - entered >= TimeSpan.FromMilliseconds(350), $"left the barrier after {(t - entered).TotalMilliseconds} ms"));
            RingHarness.ThrowAny(RingHarness.OnRanks(3, r => rings[r].Barrier())); // and again on the same ring
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }

    [Fact]
    public void Bad_tensors_are_refused_before_anything_is_sent_and_the_ring_stays_usable()
    {
        var rings = RingHarness.Form(2);
        try
        {
            using var doubles = zeros(4, dtype: ScalarType.Float64);
            Assert.Contains("float32", Assert.Throws<ArgumentException>(() => rings[0].AllReduceSum(doubles)).Message);
            using var matrix = zeros(4, 3);
            using var transposed = matrix.t();
            Assert.Contains("contiguous", Assert.Throws<ArgumentException>(() => rings[0].AllReduceSum(transposed)).Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => rings[0].Broadcast(matrix, root: 2));
            RingHarness.ThrowAny(RingHarness.OnRanks(2, r =>
            {
                using var t = ones(3);
                rings[r].AllReduceSum(t);
                Assert.Equal([2f, 2f, 2f], t.data<float>().ToArray());
            }));
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }
}
