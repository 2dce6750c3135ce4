using System.Net;

namespace FineTune.Core.Collectives;

/// <summary>
/// What one rank needs to join a <see cref="RingCollective"/>: its rank, every rank's "host:port" (the world size is
/// their count; this rank listens on its own), and the group's secret token (random per job and generation, from the
/// coordinator), so that a stray process, or one left over from an earlier group, is refused at the handshake.
/// </summary>
public sealed record RingOptions
{
    public required int Rank { get; init; }

    /// <summary>"host:port" of every rank, indexed by rank ("[::1]:port" for IPv6 literals).</summary>
    public required IReadOnlyList<string> Endpoints { get; init; }

    /// <summary>
    /// The group's shared secret: every rank of one group carries the same, nobody else knows it. Compared in constant
    /// time and never written into a message or log (messages name <see cref="Group"/> instead).
    /// </summary>
    public required string Token { get; init; }

    /// <summary>A public name for the group in messages, e.g. "job-42/gen-3"; not checked.</summary>
    public string Group { get; init; } = "unnamed";

    /// <summary>Limit for each whole call (all-reduce, broadcast, barrier); a silent peer fails the call when it runs out.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long creation waits for the ring to form (every peer started, connected and checked); default: Timeout.</summary>
    public TimeSpan? RendezvousTimeout { get; init; }

    /// <summary>Bytes per frame on the wire: small enough that sending and reducing overlap, large enough to amortise syscalls.</summary>
    public int ChunkBytes { get; init; } = 1 << 20;

    /// <summary>SO_SNDBUF / SO_RCVBUF for the data sockets; 0 leaves the kernel's autotuning.</summary>
    public int SocketBufferBytes { get; init; } = 4 << 20;

    /// <summary>
    /// Connect to a peer on this host through its Unix socket (<see cref="RingListener"/>) rather than TCP loopback;
    /// false: TCP to every peer (benchmarks compare the two).
    /// </summary>
    public bool LocalSockets { get; init; } = true;

    public int WorldSize => Endpoints.Count;

    internal TimeSpan RendezvousLimit => RendezvousTimeout ?? Timeout;

    internal void Validate()
    {
        if (Endpoints is null || Endpoints.Count < 1) throw new ArgumentException("Endpoints must name at least one rank.", nameof(Endpoints));
        if (Endpoints.Count > ushort.MaxValue) throw new ArgumentException($"At most {ushort.MaxValue} ranks.", nameof(Endpoints));
        if (Rank < 0 || Rank >= Endpoints.Count) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, $"Rank must be in [0, {Endpoints.Count}).");
        if (string.IsNullOrEmpty(Token)) throw new ArgumentException("Token must be the group's shared secret.", nameof(Token));
        if (System.Text.Encoding.UTF8.GetByteCount(Token) > RingHandshake.MaxTokenBytes) throw new ArgumentException($"Token is longer than {RingHandshake.MaxTokenBytes} bytes.", nameof(Token));
        if (Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "Timeout must be positive.");
        if (RendezvousLimit <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RendezvousTimeout), RendezvousTimeout, "RendezvousTimeout must be positive.");
        if (ChunkBytes < 4 || ChunkBytes % 4 != 0 || ChunkBytes > 64 << 20) throw new ArgumentOutOfRangeException(nameof(ChunkBytes), ChunkBytes, "ChunkBytes must be a multiple of 4 between 4 and 64 MiB.");
        if (SocketBufferBytes < 0) throw new ArgumentOutOfRangeException(nameof(SocketBufferBytes), SocketBufferBytes, "SocketBufferBytes must be 0 (kernel default) or positive.");
        for (int r = 0; r < Endpoints.Count; r++) ParseEndpoint(Endpoints[r], r);
    }

    /// <summary>"host:port" to an endpoint: IP literals ("10.0.0.5:29500", "[::1]:29500") parse directly, names are resolved when connecting.</summary>
    internal static EndPoint ParseEndpoint(string text, int rank, bool allowAnyPort = false)
    {
        int colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, null, out int port) && port <= 65535 && (port > 0 || allowAnyPort))
        {
            var host = text[..colon];
            if (host.StartsWith('[') && host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out var v6)) return new IPEndPoint(v6, port);
            if (!host.Contains(':') && IPAddress.TryParse(host, out var v4)) return new IPEndPoint(v4, port);
            if (!host.Contains(':') && Uri.CheckHostName(host) == UriHostNameType.Dns) return new DnsEndPoint(host, port);
        }
        throw new ArgumentException($"Endpoint of rank {rank} '{text}' is not \"host:port\".", nameof(Endpoints));
    }
}
