using System.Net;
using System.Net.Sockets;

namespace FineTune.Core.Collectives;

/// <summary>
/// Forms this rank's two ring connections: it connects to rank+1 (its send side, retrying until that rank listens)
/// and accepts rank-1 (its receive side) on its own endpoint, checking each with <see cref="RingHandshake"/>.
/// Connections that fail the check are answered with the reason and dropped while the right peer is still awaited.
/// </summary>
static class RingRendezvous
{
    static readonly TimeSpan HandshakeLimit = TimeSpan.FromSeconds(5);

    /// <summary>A listening socket on <paramref name="endpoint"/> ("host:port", port 0 for any free port: read it back from LocalEndPoint).</summary>
    public static Socket Listen(string endpoint, int socketBufferBytes)
    {
        IPEndPoint bind = RingOptions.ParseEndpoint(endpoint, 0, allowAnyPort: true) switch
        {
            IPEndPoint ip => ip,
            // A name (the host's own, as the other ranks know it): listen on every interface on that port.
            DnsEndPoint dns => new IPEndPoint(Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any, dns.Port),
            var other => throw new ArgumentException($"Cannot listen on '{other}'.", nameof(endpoint)),
        };
        var listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (bind.Address.Equals(IPAddress.IPv6Any)) listener.DualMode = true;
            // Accepted sockets inherit the buffer sizes, and the receive window is negotiated from them at SYN time.
            Configure(listener, socketBufferBytes, noDelay: false);
            listener.Bind(bind);
            listener.Listen(16);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Both connections, or a <see cref="CollectiveException"/> saying which one did not form and why.</summary>
    public static async Task<(Socket ToNext, Socket FromPrev)> FormAsync(RingOptions options, Socket listener, CancellationToken cancel)
    {
        int world = options.WorldSize, rank = options.Rank;
        int next = (rank + 1) % world, prev = (rank - 1 + world) % world;
        var limit = options.RendezvousLimit;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(limit);
        var state = new Progress();

        var connect = Guard(ConnectAsync(options, next, state, deadline.Token), deadline);
        var accept = Guard(AcceptAsync(options, listener, prev, state, deadline.Token), deadline);
        try
        {
            await Task.WhenAll(connect, accept);
            return (connect.Result, accept.Result);
        }
        catch
        {
            if (connect.IsCompletedSuccessfully) connect.Result.Dispose();
            if (accept.IsCompletedSuccessfully) accept.Result.Dispose();
            // A refusal is the real cause; the other side was only cancelled because of it.
            var refused = new[] { connect, accept }.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException).OfType<CollectiveException>().FirstOrDefault();
            if (refused is not null) throw refused;
            cancel.ThrowIfCancellationRequested();
            var missing = new List<string>();
            if (!connect.IsCompletedSuccessfully)
                missing.Add($"could not connect to rank {next} at {options.Endpoints[next]} (last error: {state.ConnectError ?? "none"})");
            if (!accept.IsCompletedSuccessfully)
                missing.Add($"heard nothing acceptable from rank {prev} at {options.Endpoints[prev]} on {options.Endpoints[rank]}" +
                    (state.Refusals.IsEmpty ? "" : $" (refused: {string.Join("; ", state.Refusals)})"));
            var blame = connect.IsCompletedSuccessfully ? prev : next;
            throw new CollectiveException(
                $"The ring {options.Group} (world size {world}) did not form within {limit.TotalSeconds:0.###} s: rank {rank} {string.Join(", and ", missing)}.",
                blame, options.Endpoints[blame], timedOut: true);
        }
    }

    sealed class Progress
    {
        public volatile string? ConnectError;
        public readonly System.Collections.Concurrent.ConcurrentQueue<string> Refusals = new();
    }

    static async Task<Socket> Guard(Task<Socket> task, CancellationTokenSource deadline)
    {
        try
        {
            return await task;
        }
        catch
        {
            deadline.Cancel(); // one side failing for good: stop waiting on the other
            throw;
        }
    }

    static async Task<Socket> ConnectAsync(RingOptions options, int next, Progress state, CancellationToken cancel)
    {
        var target = RingOptions.ParseEndpoint(options.Endpoints[next], next);
        var hello = new RingHandshake.Hello(options.WorldSize, options.Rank, next, options.ChunkBytes, options.Token);
        var pause = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var socket = target is IPEndPoint ip ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : new Socket(SocketType.Stream, ProtocolType.Tcp);
            string? refusal;
            try
            {
                Configure(socket, options.SocketBufferBytes, noDelay: true);
                await socket.ConnectAsync(target, cancel);
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                handshake.CancelAfter(HandshakeLimit);
                await RingHandshake.SendHelloAsync(socket, hello, handshake.Token);
                refusal = await RingHandshake.ReceiveAnswerAsync(socket, handshake.Token);
                if (refusal is null) return socket;
            }
            catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
            {
                // Not listening yet, or dropped before answering: try again until the deadline.
                socket.Dispose();
                state.ConnectError = e is SocketException se ? se.SocketErrorCode.ToString() : e.Message;
                await Task.Delay(pause, cancel);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(500).Ticks));
                continue;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            socket.Dispose();
            throw new CollectiveException(
                $"Rank {next} at {options.Endpoints[next]} refused rank {options.Rank} (group {options.Group}, world size {options.WorldSize}): {refusal}.",
                next, options.Endpoints[next]);
        }
    }

    static async Task<Socket> AcceptAsync(RingOptions options, Socket listener, int prev, Progress state, CancellationToken cancel)
    {
        var expected = new RingHandshake.Hello(options.WorldSize, prev, options.Rank, options.ChunkBytes, options.Token);
        while (true)
        {
            var socket = await listener.AcceptAsync(cancel);
            string from = socket.RemoteEndPoint?.ToString() ?? "?";
            try
            {
                socket.NoDelay = true;
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                handshake.CancelAfter(HandshakeLimit);
                var hello = await RingHandshake.ReceiveHelloAsync(socket, handshake.Token);
                var refusal = RingHandshake.Check(hello, expected);
                await RingHandshake.SendAnswerAsync(socket, refusal, handshake.Token);
                if (refusal is null) return socket;
                state.Refusals.Enqueue($"{from}: {refusal}");
            }
            catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
            {
                state.Refusals.Enqueue($"{from}: {e.Message}");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            socket.Dispose();
        }
    }

    /// <summary>No Nagle delay on the small frame headers; large buffers so a whole chunk is in flight while the peer reduces the last one.</summary>
    internal static void Configure(Socket socket, int bufferBytes, bool noDelay)
    {
        if (noDelay) socket.NoDelay = true;
        if (bufferBytes > 0)
        {
            socket.SendBufferSize = bufferBytes;
            socket.ReceiveBufferSize = bufferBytes;
        }
    }
}
