using System.Diagnostics;
using FineTune.Core.Collectives;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>
/// Forming an NCCL group over a real TCP ring on loopback, with a fake native layer: the backend every rank agrees on,
/// rank 0's id on every rank, and the bounded init.
/// </summary>
public class NcclBootstrapTests
{
    static readonly Device Cuda = new("cuda:0");

    /// <summary>Every rank's <see cref="CollectiveFactory.CreateAsync(string, Device, RingOptions, Func{RingListener}?, INcclApi, CancellationToken)"/> on its own thread: the groups, or the exceptions.</summary>
    static (ICollective?[] Groups, Exception?[] Errors) Create(int n, string name, Func<int, INcclApi> nccl, Func<int, Device>? device = null, double timeoutSeconds = 10)
    {
        var (listeners, endpoints) = RingHarness.Listen(n);
        var token = RingHarness.NewJob() + "/gen-1";
        var groups = new ICollective?[n];
        var errors = RingHarness.OnRanks(n, r => groups[r] = CollectiveFactory.CreateAsync(name, device?.Invoke(r) ?? Cuda,
            RingHarness.Options(r, endpoints, token) with { Timeout = TimeSpan.FromSeconds(timeoutSeconds), RendezvousTimeout = TimeSpan.FromSeconds(60) },
            () => listeners[r], nccl(r), CancellationToken.None).GetAwaiter().GetResult());
        return (groups, errors);
    }

    static void Close(ICollective?[] groups)
    {
        foreach (var g in groups) g?.Dispose();
    }

    [Fact]
    public void Auto_forms_nccl_when_every_rank_can_with_rank_0s_id_on_every_rank()
    {
        var fake = new FakeNccl();
        var (groups, errors) = Create(3, "auto", _ => fake);
        try
        {
            RingHarness.ThrowAny(errors);
            Assert.All(groups, g => Assert.IsType<NcclCollective>(g));
            Assert.Single(fake.Calls, c => c == "GetUniqueId");
            Assert.Equal([0, 1, 2], fake.Joined.Keys.Order());
            Assert.All(fake.Joined.Values, j =>
            {
                Assert.Equal(fake.MadeId, j.Id); // byte for byte, a float NaN pattern included
                Assert.Equal(3, j.World);
            });
            Assert.Equal(3, fake.Calls.Count(c => c == "SetDevice 0"));
        }
        finally
        {
            Close(groups);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Auto_uses_the_ring_on_every_rank_when_one_cannot_run_nccl(bool onCpu)
    {
        // Rank 1 lacks libnccl, or trains on the CPU: every rank must choose the ring, or their calls would not meet.
        var (groups, errors) = Create(3, "auto",
            r => new FakeNccl { Missing = r == 1 && !onCpu ? "libnccl.so.2 cannot be loaded" : null },
            r => r == 1 && onCpu ? CPU : Cuda);
        try
        {
            RingHarness.ThrowAny(errors);
            Assert.All(groups, g => Assert.IsType<RingCollective>(g));
            var sums = new float[3];
            RingHarness.ThrowAny(RingHarness.OnRanks(3, r =>
            {
                using var t = full(5, r + 1f);
                groups[r]!.AllReduceSum(t);
                sums[r] = t.data<float>()[0];
            }));
            Assert.All(sums, s => Assert.Equal(6f, s));
        }
        finally
        {
            Close(groups);
        }
    }

    [Fact]
    public void Explicit_nccl_with_a_rank_that_cannot_load_it_fails_every_rank_as_invalid_input()
    {
        var (groups, errors) = Create(3, "nccl", r => new FakeNccl { Missing = r == 2 ? "libnccl.so.2 cannot be loaded" : null });
        Close(groups);
        Assert.All(groups, Assert.Null);
        var messages = errors.Select(e => Assert.IsType<InvalidInputException>(e).Message).ToArray();
        Assert.All(messages, m => Assert.StartsWith("--collective (collective) nccl: rank", m));
        Assert.Contains("rank 2 cannot use NCCL: libnccl.so.2 cannot be loaded", messages[2]);
        Assert.Contains("rank 2 cannot use NCCL; choose auto", messages[0]);
    }

    [Fact]
    public void Rank_0_failing_to_make_the_id_fails_every_rank_at_once()
    {
        var clock = Stopwatch.StartNew();
        var (groups, errors) = Create(2, "nccl", _ => new FakeNccl { UniqueIdResult = NcclResult.SystemError }, timeoutSeconds: 30);
        Close(groups);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0, 20); // not the 30 s timeout
        Assert.Contains("NCCL SystemError (fake text for SystemError)", Assert.IsType<CollectiveException>(errors[0]).Message);
        Assert.Equal(0, Assert.IsType<CollectiveException>(errors[1]).PeerRank);
    }

    [Fact]
    public void Peers_that_never_join_fail_init_at_the_timeout_and_a_late_communicator_is_aborted()
    {
        using var gate = new ManualResetEventSlim();
        var fake = new FakeNccl { InitGate = gate };
        var (groups, errors) = Create(2, "nccl", _ => fake, timeoutSeconds: 2); // the ring calls before init get the same limit: not too tight
        Close(groups);
        Assert.All(errors, e => Assert.True(Assert.IsType<CollectiveException>(e).TimedOut));
        Assert.Contains("could not join the NCCL group", errors[0]!.Message);
        gate.Set(); // the blocked inits return now: nobody wants their communicators
        var clock = Stopwatch.StartNew();
        while (fake.Aborts < 2 && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(10);
        Assert.Equal(2, fake.Aborts);
    }

    [Fact]
    public void Cancelling_while_init_waits_stops_the_wait()
    {
        using var gate = new ManualResetEventSlim();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var fake = new FakeNccl { InitGate = gate };
        var options = RingHarness.Options(0, ["127.0.0.1:1"]);
        Assert.ThrowsAny<OperationCanceledException>(() => NcclBootstrap.InitAsync(fake, default, options, Cuda, cancel.Token).GetAwaiter().GetResult());
        gate.Set();
    }
}
