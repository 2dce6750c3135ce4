namespace FineTune.Core.Collectives;

/// <summary>
/// A collective call failed: a peer was lost, stayed silent past the timeout, refused the handshake or sent frames
/// out of step. The group is unusable afterwards; the coordinator rebuilds it.
/// </summary>
public sealed class CollectiveException : Exception
{
    public CollectiveException(string message, int? peerRank = null, string? peerEndpoint = null, bool timedOut = false, Exception? inner = null)
        : base(message, inner)
    {
        PeerRank = peerRank;
        PeerEndpoint = peerEndpoint;
        TimedOut = timedOut;
    }

    /// <summary>The rank this process was talking to when the call failed, when one is to blame.</summary>
    public int? PeerRank { get; }

    /// <summary>That peer's "host:port".</summary>
    public string? PeerEndpoint { get; }

    /// <summary>True when the call ran out of time (a silent peer) rather than seeing an error.</summary>
    public bool TimedOut { get; }
}
