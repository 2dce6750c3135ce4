using System.Diagnostics;
using FineTune.Core.Collectives;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>
/// NcclCollective against a fake native layer (CPU tensors stand in for device memory): what it hands NCCL, and how a
/// call that never completes, an asynchronous error or an abort from another thread end in a CollectiveException.
/// </summary>
public class NcclCollectiveTests
{
    static NcclCollective Group(FakeNccl fake, double timeoutSeconds = 30, int worldSize = 2) =>
        new(fake, 42, rank: 0, worldSize, CPU, TimeSpan.FromSeconds(timeoutSeconds), "job-1/gen-1");

    [Fact]
    public void AllReduceSum_hands_ncclAllReduce_the_tensor_memory_in_place_on_the_default_stream()
    {
        var fake = new FakeNccl { Ranks = 2 };
        using var group = Group(fake);
        using var whole = full(100, 5f);
        using var view = whole.narrow(0, 10, 20);
        using var three = 3f.ToScalar();
        view.fill_(three);
        group.AllReduceSum(view);
        var values = whole.data<float>().ToArray();
        Assert.All(values[..10], v => Assert.Equal(5f, v));
        Assert.All(values[10..30], v => Assert.Equal(6f, v));
        Assert.All(values[30..], v => Assert.Equal(5f, v));
        Assert.Contains("AllReduce Sum Float32 20 in place stream 0", fake.Calls);
        Assert.Equal(0, fake.Aborts);
    }

    [Theory]
    [InlineData(22703, "AllReduce Avg Float32 4 in place stream 0")]
    [InlineData(20907, "AllReduce Sum Float32 4 in place stream 0")] // before 2.10: no ncclAvg, a sum divided here
    public void AllReduceAverage_uses_ncclAvg_where_nccl_has_it(int version, string call)
    {
        var fake = new FakeNccl { VersionCode = version, Ranks = 2 };
        using var group = Group(fake);
        using var t = full(4, 3f);
        group.AllReduceAverage(t);
        Assert.All(t.data<float>().ToArray(), v => Assert.Equal(3f, v)); // the fake's ranks all hold 3s
        Assert.Equal(call, Assert.Single(fake.Calls));
    }

    [Fact]
    public void Broadcast_passes_the_root_and_refuses_one_outside_the_group()
    {
        var fake = new FakeNccl();
        using var group = Group(fake);
        using var t = zeros(7);
        group.Broadcast(t, 1);
        Assert.Contains("Broadcast Float32 7 root 1", fake.Calls);
        Assert.Throws<ArgumentOutOfRangeException>(() => group.Broadcast(t, 2));
    }

    [Fact]
    public void Barrier_counts_the_ranks()
    {
        using (var group = Group(new FakeNccl { Ranks = 2 })) group.Barrier();
        using var lonely = Group(new FakeNccl { Ranks = 1 });
        Assert.Contains("counted 1 ranks instead of 2", Assert.Throws<CollectiveException>(lonely.Barrier).Message);
    }

    [Fact]
    public void Tensors_nccl_cannot_take_are_refused_without_breaking_the_group()
    {
        var fake = new FakeNccl();
        using var group = Group(fake);
        using var integers = zeros(4, ScalarType.Int32);
        Assert.Contains("floating-point", Assert.Throws<ArgumentException>(() => group.AllReduceSum(integers)).Message);
        using var matrix = zeros(3, 4);
        using var transposed = matrix.t();
        Assert.Contains("contiguous", Assert.Throws<ArgumentException>(() => group.AllReduceSum(transposed)).Message);
        using var fine = ones(4);
        group.AllReduceSum(fine);
        Assert.Equal(0, fake.Aborts);
    }

    [Fact]
    public void A_call_that_never_completes_is_aborted_at_the_timeout()
    {
        var fake = new FakeNccl { Hang = true };
        var group = Group(fake, timeoutSeconds: 0.3);
        using var t = ones(8);
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<CollectiveException>(() => group.AllReduceSum(t));
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.29, 10);
        Assert.True(e.TimedOut);
        Assert.Contains("did not finish within 0.3 s", e.Message);
        Assert.Equal(1, fake.Aborts);
        // Unusable afterwards; closing it aborts nothing twice.
        Assert.Contains("unusable after an earlier failure", Assert.Throws<CollectiveException>(() => group.AllReduceSum(t)).Message);
        group.Dispose();
        Assert.Equal(1, fake.Aborts);
        Assert.Throws<ObjectDisposedException>(() => group.Barrier());
    }

    [Fact]
    public void An_asynchronous_error_aborts_the_call_long_before_the_timeout()
    {
        var fake = new FakeNccl { Hang = true, AsyncError = NcclResult.RemoteError };
        using var group = Group(fake, timeoutSeconds: 60);
        using var t = ones(8);
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<CollectiveException>(() => group.Broadcast(t));
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 10);
        Assert.False(e.TimedOut);
        Assert.Contains("NCCL RemoteError (fake text for RemoteError)", e.Message);
        Assert.Equal(1, fake.Aborts);
    }

    [Fact]
    public void An_asynchronous_error_after_a_completed_wait_still_fails_the_call()
    {
        var fake = new FakeNccl { AsyncError = NcclResult.SystemError };
        using var group = Group(fake);
        using var t = ones(8);
        Assert.Contains("NCCL SystemError", Assert.Throws<CollectiveException>(() => group.AllReduceSum(t)).Message);
        Assert.Equal(1, fake.Aborts);
    }

    [Fact]
    public void A_refused_enqueue_fails_at_once_with_ncclGetErrorString_text()
    {
        var fake = new FakeNccl { EnqueueResult = NcclResult.InvalidUsage };
        using var group = Group(fake);
        using var t = ones(8);
        var e = Assert.Throws<CollectiveException>(() => group.AllReduceSum(t));
        Assert.Contains("was refused: NCCL InvalidUsage (fake text for InvalidUsage)", e.Message);
        Assert.Equal(1, fake.Aborts);
    }

    [Fact]
    public void Abort_from_another_thread_fails_the_call_in_flight()
    {
        var fake = new FakeNccl { Hang = true };
        using var group = Group(fake, timeoutSeconds: 60);
        Exception? thrown = null;
        var caller = new Thread(() =>
        {
            using var t = ones(8);
            try { group.AllReduceSum(t); }
            catch (Exception e) { thrown = e; }
        })
        { IsBackground = true };
        caller.Start();
        Assert.True(fake.WaitStarted(TimeSpan.FromSeconds(10)), "the call never reached its wait");
        group.Abort();
        Assert.True(caller.Join(TimeSpan.FromSeconds(10)), "the call did not return after Abort");
        Assert.Contains("was aborted", Assert.IsType<CollectiveException>(thrown).Message);
        Assert.Equal(1, fake.Aborts);
    }

    [Fact]
    public void Closing_a_healthy_group_aborts_its_communicator_once()
    {
        var fake = new FakeNccl();
        var group = Group(fake);
        group.Dispose();
        group.Dispose();
        Assert.Equal(["CommAbort 42"], fake.Calls);
    }
}
