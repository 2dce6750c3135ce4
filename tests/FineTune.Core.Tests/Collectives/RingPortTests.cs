using System.Net;
using System.Net.Sockets;
using FineTune.Worker;

namespace FineTune.Core.Tests.Collectives;

/// <summary>A worker's ring port lies outside the kernel's ephemeral range, so no outgoing connection takes it between jobs.</summary>
public class RingPortTests
{
    [Fact]
    public void The_ring_port_is_free_and_below_the_ephemeral_range()
    {
        var low = RingPort.EphemeralLow();
        var port = RingPort.Pick(IPAddress.Loopback);
        if (low is int ephemeral) Assert.InRange(port, 10_000, ephemeral - 1);
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port)); // still free
        Assert.NotEqual(RingPort.Pick(IPAddress.Loopback), port); // taken now: another is picked
    }
}
