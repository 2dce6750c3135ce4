using FineTune.Core.Collectives;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>Ranks on one host reach each other through their Unix sockets, and over TCP where a peer has none.</summary>
[Collection(FineTune.Core.Tests.Training.TorchGlobalState.Name)]
public class RingLocalSocketTests
{
    [Theory]
    [InlineData(true, "unix")]
    [InlineData(false, "tcp")]
    public void Ranks_on_one_host_link_through_unix_sockets_unless_told_not_to(bool localSockets, string kind)
    {
        var rings = RingHarness.Form(3, o => o with { LocalSockets = localSockets });
        try
        {
            Assert.Equal($"to rank 1: {kind}, from rank 2: {kind}", rings[0].Links);
            AssertSums(rings);
        }
        finally
        {
            foreach (var ring in rings) ring.Dispose();
        }
    }

    [Fact]
    public void A_peer_without_a_unix_socket_is_reached_over_tcp()
    {
        var (listeners, endpoints) = RingHarness.Listen(2);
        listeners[1].Local!.Dispose(); // rank 1 has TCP only, as where its name was taken
        var token = RingHarness.NewJob() + "/gen-1";
        var rings = new RingCollective[2];
        try
        {
            RingHarness.ThrowAny(RingHarness.OnRanks(2, r => rings[r] = RingCollective.Create(RingHarness.Options(r, endpoints, token), listeners[r])));
            Assert.Equal("to rank 1: tcp, from rank 1: unix", rings[0].Links);
            Assert.Equal("to rank 0: unix, from rank 0: tcp", rings[1].Links);
            AssertSums(rings);
        }
        finally
        {
            foreach (var ring in rings) ring?.Dispose();
            foreach (var l in listeners) l.Dispose();
        }
    }

    static void AssertSums(RingCollective[] rings)
    {
        var buffers = rings.Select((_, r) => full(100_003, (float)(r + 1))).ToArray(); // several chunks and an odd tail
        RingHarness.ThrowAny(RingHarness.OnRanks(rings.Length, r => rings[r].AllReduceSum(buffers[r])));
        float expected = rings.Length * (rings.Length + 1) / 2f;
        foreach (var b in buffers) Assert.Equal((expected, expected), (b.min().item<float>(), b.max().item<float>()));
    }
}
