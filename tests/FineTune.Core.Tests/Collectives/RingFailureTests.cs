using System.Diagnostics;
using FineTune.Core.Collectives;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>Lost, silent, stale and out-of-step peers: every case ends in a CollectiveException naming a peer, within the timeout.</summary>
public class RingFailureTests(ITestOutputHelper output)
{
    static readonly TimeSpan Short = TimeSpan.FromSeconds(2);

    [Fact]
    public void A_peer_that_closes_its_sockets_mid_call_fails_the_others_fast()
    {
        var rings = RingHarness.Form(3, o => o with { Timeout = Short });
        try
        {
            var clock = Stopwatch.StartNew();
            var errors = RingHarness.OnRanks(3, r =>
            {
                if (r == 2)
                {
                    Thread.Sleep(200); // ranks 0 and 1 are inside AllReduceSum by now, waiting on rank 2
                    rings[2].Dispose();
                    return;
                }
                using var t = ones(1_000_000);
                rings[r].AllReduceSum(t);
            });
            var elapsed = clock.Elapsed;
            var e0 = Assert.IsType<CollectiveException>(errors[0]);
            var e1 = Assert.IsType<CollectiveException>(errors[1]);
            // Rank 0 receives from rank 2: it sees the connection close and names rank 2, without waiting for the timeout.
            Assert.Equal(2, e0.PeerRank);
            Assert.Contains(e0.PeerEndpoint!, e0.Message);
            Assert.Contains("rank 2", e0.Message);
            Assert.False(e0.TimedOut, e0.Message);
            Assert.NotNull(e1.PeerRank);
            output.WriteLine(e0.Message);
            output.WriteLine(e1.Message);
            Assert.True(elapsed < Short + TimeSpan.FromSeconds(1), $"took {elapsed.TotalSeconds:0.00} s");
            // The group is unusable from now on.
            using var again = ones(3);
            Assert.Contains("unusable", Assert.Throws<CollectiveException>(() => rings[0].AllReduceSum(again)).Message);
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }

    [Fact]
    public void A_silent_peer_times_the_call_out_and_is_named()
    {
        var rings = RingHarness.Form(3, o => o with { Timeout = Short });
        try
        {
            var clock = new Stopwatch[3];
            var errors = RingHarness.OnRanks(3, r =>
            {
                if (r == 2) return; // alive, connected, but never calls
                clock[r] = Stopwatch.StartNew();
                using var t = ones(1000);
                rings[r].AllReduceSum(t);
            });
            var e0 = Assert.IsType<CollectiveException>(errors[0]);
            Assert.IsType<CollectiveException>(errors[1]);
            output.WriteLine(e0.Message);
            output.WriteLine(errors[1]!.Message);
            Assert.True(e0.TimedOut, e0.Message);
            Assert.Equal(2, e0.PeerRank);
            Assert.Contains("timed out", e0.Message);
            Assert.Contains(e0.PeerEndpoint!, e0.Message);
            foreach (int r in new[] { 0, 1 })
            {
                var elapsed = clock[r].Elapsed;
                Assert.True(elapsed < Short + TimeSpan.FromSeconds(1.5), $"rank {r} took {elapsed.TotalSeconds:0.00} s");
            }
            Assert.True(clock[0].Elapsed > Short - TimeSpan.FromMilliseconds(100));
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }

    [Fact]
    public void Abort_from_another_thread_ends_a_call_in_flight()
    {
        var rings = RingHarness.Form(2, o => o with { Timeout = TimeSpan.FromSeconds(60) });
        try
        {
            var clock = Stopwatch.StartNew();
            TimeSpan aborted = default, returned = default;
            var errors = RingHarness.OnRanks(2, r =>
            {
                if (r == 1)
                {
                    Thread.Sleep(200);
                    aborted = clock.Elapsed;
                    rings[0].Abort(); // rank 0 is waiting on rank 1, which never calls
                    return;
                }
                using var t = ones(10);
                try { rings[0].AllReduceSum(t); }
                finally { returned = clock.Elapsed; }
            });
            Assert.Contains("aborted", Assert.IsType<CollectiveException>(errors[0]).Message);
            // Measured from the abort (a loaded machine may start the threads late), against a 60 s collective timeout.
            Assert.True(returned - aborted < TimeSpan.FromSeconds(10), $"the call returned {(returned - aborted).TotalSeconds:0.0} s after the abort");
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }

    [Fact]
    public void A_process_from_an_older_generation_is_refused_and_the_new_group_forms()
    {
        var (listeners, endpoints) = RingHarness.Listen(3);
        var job = RingHarness.NewJob();
        RingCollective?[] rings = new RingCollective?[2];
        try
        {
            var errors = RingHarness.OnRanks(3, r =>
            {
                if (r == 2)
                {
                    // A leftover rank 0 of generation 0 (its own endpoint is listeners[2]) knocks on rank 1's door first.
                    var stale = RingHarness.Options(0, [endpoints[2], endpoints[1]], job + "/gen-0") with { RendezvousTimeout = TimeSpan.FromSeconds(5) };
                    RingCollective.Create(stale, listeners[2]).Dispose();
                    return;
                }
                if (r == 0) Thread.Sleep(300);
                rings[r] = RingCollective.Create(RingHarness.Options(r, endpoints[..2], job + "/gen-1"), listeners[r]);
            });
            var refused = Assert.IsType<CollectiveException>(errors[2]);
            output.WriteLine(refused.Message);
            Assert.Equal(1, refused.PeerRank);
            Assert.Contains("wrong group token", refused.Message);
            Assert.DoesNotContain($"{job}/gen-1", refused.Message); // the group's secret is never told to a stranger
            Assert.Null(errors[0]);
            Assert.Null(errors[1]);
            RingHarness.ThrowAny(RingHarness.OnRanks(2, r =>
            {
                using var t = full(5, 2f);
                rings[r]!.AllReduceSum(t);
                Assert.All(t.data<float>().ToArray(), v => Assert.Equal(4f, v));
            }));
        }
        finally
        {
            foreach (var ring in rings) ring?.Dispose();
            foreach (var l in listeners) l.Dispose();
        }
    }

    [Fact]
    public void Mismatched_tokens_fail_creation_on_both_sides()
    {
        // Each rank refuses the other's hello. The first refused rank gives up at once and stops listening, so the
        // other learns of it at its rendezvous timeout; both errors carry the token mismatch.
        var (listeners, endpoints) = RingHarness.Listen(2);
        var job = RingHarness.NewJob();
        var clock = Stopwatch.StartNew();
        var errors = RingHarness.OnRanks(2, r =>
            RingCollective.Create(RingHarness.Options(r, endpoints, $"{job}/gen-{r}") with { RendezvousTimeout = Short }, listeners[r]).Dispose());
        foreach (var e in errors) output.WriteLine(e?.Message);
        Assert.All(errors, e => Assert.Contains("wrong group token", Assert.IsType<CollectiveException>(e).Message));
        Assert.True(clock.Elapsed < Short + TimeSpan.FromSeconds(1.5), $"took {clock.Elapsed.TotalSeconds:0.00} s");
    }

    [Fact]
    public void A_rank_that_never_starts_fails_creation_after_the_rendezvous_timeout()
    {
        var (listeners, endpoints) = RingHarness.Listen(2);
        listeners[1].Dispose(); // rank 1 never listens
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<CollectiveException>(() =>
            RingCollective.Create(RingHarness.Options(0, endpoints) with { RendezvousTimeout = TimeSpan.FromSeconds(1) }, listeners[0]));
        output.WriteLine(e.Message);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 3);
        Assert.True(e.TimedOut);
        Assert.Equal(1, e.PeerRank);
        Assert.Contains("did not form", e.Message);
        Assert.Contains(endpoints[1], e.Message);
    }

    [Fact]
    public void Ranks_out_of_step_are_detected_not_summed()
    {
        // Different collectives at the same point of the sequence.
        var rings = RingHarness.Form(2);
        try
        {
            var errors = RingHarness.OnRanks(2, r =>
            {
                using var t = ones(10);
                if (r == 0) rings[r].Barrier();
                else rings[r].AllReduceSum(t);
            });
            foreach (var e in errors) output.WriteLine(e?.Message);
            Assert.Contains(errors, e => e is CollectiveException c && c.Message.Contains("same order"));
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }

        // Buffers of different lengths.
        rings = RingHarness.Form(2);
        try
        {
            var errors = RingHarness.OnRanks(2, r =>
            {
                using var t = ones(10 + r);
                rings[r].AllReduceSum(t);
            });
            foreach (var e in errors) output.WriteLine(e?.Message);
            Assert.Contains(errors, e => e is CollectiveException c && c.Message.Contains("same length"));
            Assert.All(errors, e => Assert.IsType<CollectiveException>(e));
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }
}
