using Grpc.Net.Client;

namespace FineTune.Contracts;

/// <summary>
/// The one way a client (the CLI, a worker) opens its channel to the coordinator: large messages, and HTTP/2 keepalive
/// pings, so that a coordinator that restarted or moved (a new pod IP) is noticed in seconds instead of every call
/// waiting on a silently dead connection until TCP gives up. Callers add their own service config.
/// </summary>
public static class CoordinatorChannel
{
    public const int MaxMessageBytes = 16 << 20;

    /// <param name="ping">how often an idle connection is checked (and how long an answer may take)</param>
    public static GrpcChannelOptions Options(TimeSpan ping) => new()
    {
        MaxReceiveMessageSize = MaxMessageBytes,
        MaxSendMessageSize = MaxMessageBytes,
        HttpHandler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingDelay = ping,
            KeepAlivePingTimeout = ping,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            EnableMultipleHttp2Connections = true,
        },
    };
}
