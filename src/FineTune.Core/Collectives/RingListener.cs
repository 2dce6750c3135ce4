using System.Net;
using System.Net.Sockets;

namespace FineTune.Core.Collectives;

/// <summary>
/// A rank's listening sockets: TCP on its endpoint and, beside it, an abstract Unix socket named after the TCP port
/// (<see cref="LocalName"/>). A peer on the same host, in the same network namespace, connects through the Unix socket
/// instead, as NCCL and Gloo pick a shared-memory or local transport for co-located ranks: on loopback it skips the
/// TCP/IP stack and carries about 1.5x to 2x the bytes per second on the same cores (the allreduce benchmark measures
/// both). Peers elsewhere, or in other containers, use TCP; the handshake is the same on both.
/// </summary>
public sealed class RingListener : IDisposable
{
    RingListener(Socket tcp, Socket? local)
    {
        Tcp = tcp;
        Local = local;
    }

    internal Socket Tcp { get; }

    /// <summary>Null where the name was taken (another process bound the same port on another address) or off Linux.</summary>
    internal Socket? Local { get; }

    /// <summary>The TCP endpoint (port 0 in the request: the port chosen).</summary>
    public EndPoint? LocalEndPoint => Tcp.LocalEndPoint;

    /// <summary>The Unix socket of the rank listening on TCP port <paramref name="port"/> in this network namespace.</summary>
    internal static UnixDomainSocketEndPoint LocalName(int port) => new($"\0finetune-ring/{port}");

    /// <summary>Listens on <paramref name="endpoint"/> ("host:port", port 0 for any free port: read it back from LocalEndPoint).</summary>
    public static RingListener Listen(string endpoint, int socketBufferBytes)
    {
        IPEndPoint bind = RingOptions.ParseEndpoint(endpoint, 0, allowAnyPort: true) switch
        {
            IPEndPoint ip => ip,
            // A name (the host's own, as the other ranks know it): listen on every interface on that port.
            DnsEndPoint dns => new IPEndPoint(Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any, dns.Port),
            var other => throw new ArgumentException($"Cannot listen on '{other}'.", nameof(endpoint)),
        };
        var tcp = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        Socket? local = null;
        try
        {
            if (bind.Address.Equals(IPAddress.IPv6Any)) tcp.DualMode = true;
            // Accepted sockets inherit the buffer sizes, and the receive window is negotiated from them at SYN time.
            RingRendezvous.Configure(tcp, socketBufferBytes, noDelay: false);
            tcp.Bind(bind);
            // The Unix socket listens before TCP does: a peer that reaches the TCP port always finds it.
            local = ListenLocally(((IPEndPoint)tcp.LocalEndPoint!).Port, socketBufferBytes);
            tcp.Listen(16);
            return new RingListener(tcp, local);
        }
        catch
        {
            tcp.Dispose();
            local?.Dispose();
            throw;
        }
    }

    static Socket? ListenLocally(int port, int socketBufferBytes)
    {
        if (!OperatingSystem.IsLinux()) return null; // abstract names are Linux's
        var local = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            RingRendezvous.Configure(local, socketBufferBytes, noDelay: false);
            local.Bind(LocalName(port));
            local.Listen(16);
            return local;
        }
        catch (SocketException)
        {
            local.Dispose(); // taken: this rank is reached over TCP only
            return null;
        }
    }

    public void Dispose()
    {
        Tcp.Dispose();
        Local?.Dispose();
    }
}
