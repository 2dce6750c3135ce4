using System.Net;
using System.Net.NetworkInformation;
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

    /// <summary>Both connections, or a <see cref="CollectiveException"/> saying which one did not form and why.</summary>
    public static async Task<(Socket ToNext, Socket FromPrev)> FormAsync(RingOptions options, RingListener listener, CancellationToken cancel)
    {
        int world = options.WorldSize, rank = options.Rank;
        int next = (rank + 1) % world, prev = (rank - 1 + world) % world;
        var limit = options.RendezvousLimit;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(limit);
        var state = new Progress();

        var connect = Guard(ConnectAsync(options, next, state, deadline.Token), deadline);
        var accept = Guard(AcceptEitherAsync(options, listener, prev, state, deadline.Token), deadline);
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
        var local = options.LocalSockets ? await LocalNameAsync(target, cancel) : null;
        var pause = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (local is not null)
            {
                // Not there (no Unix socket beside that port, or not listening yet) or refused: TCP decides, as it did before.
                var (viaUnix, _) = await AttemptAsync(local, options, hello, state: null, cancel);
                if (viaUnix is not null) return viaUnix;
            }
            var (socket, refusal) = await AttemptAsync(target, options, hello, state, cancel);
            if (socket is not null) return socket;
            if (refusal is not null)
                throw new CollectiveException(
                    $"Rank {next} at {options.Endpoints[next]} refused rank {options.Rank} (group {options.Group}, world size {options.WorldSize}): {refusal}.",
                    next, options.Endpoints[next]);
            // Not listening yet, or dropped before answering: try again until the deadline.
            await Task.Delay(pause, cancel);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(500).Ticks));
        }
    }

    /// <summary>One connection and handshake: the checked socket; or no socket, with the peer's refusal, or with none when nothing answered (recorded in <paramref name="state"/>).</summary>
    static async Task<(Socket? Socket, string? Refusal)> AttemptAsync(EndPoint target, RingOptions options, RingHandshake.Hello hello, Progress? state, CancellationToken cancel)
    {
        bool unix = target is UnixDomainSocketEndPoint;
        var socket = target switch
        {
            UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
            IPEndPoint ip => new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp),
            _ => new Socket(SocketType.Stream, ProtocolType.Tcp),
        };
        try
        {
            Configure(socket, options.SocketBufferBytes, noDelay: !unix);
            await socket.ConnectAsync(target, cancel);
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            handshake.CancelAfter(HandshakeLimit);
            await RingHandshake.SendHelloAsync(socket, hello, handshake.Token);
            var refusal = await RingHandshake.ReceiveAnswerAsync(socket, handshake.Token);
            if (refusal is null) return (socket, null);
            socket.Dispose();
            return (null, refusal);
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
        {
            socket.Dispose();
            if (state is not null) state.ConnectError = e is SocketException se ? se.SocketErrorCode.ToString() : e.Message;
            return (null, null);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The Unix socket beside <paramref name="target"/>'s port when <paramref name="target"/> is an address of this host (and network namespace); else null.</summary>
    static async Task<UnixDomainSocketEndPoint?> LocalNameAsync(EndPoint target, CancellationToken cancel)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var (addresses, port) = target switch
        {
            IPEndPoint ip => ([ip.Address], ip.Port),
            DnsEndPoint dns => (await ResolveAsync(dns.Host, cancel), dns.Port),
            _ => ([], 0),
        };
        var mine = HostAddresses();
        bool here = addresses.Any(a => IPAddress.IsLoopback(a) || mine.Contains(a) || (a.IsIPv4MappedToIPv6 && mine.Contains(a.MapToIPv4())));
        return here ? RingListener.LocalName(port) : null;
    }

    /// <summary>This network namespace's addresses; none where the interfaces cannot be listed (then only loopback counts as here).</summary>
    static HashSet<IPAddress> HostAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address).ToHashSet();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancel)
    {
        try
        {
            return await Dns.GetHostAddressesAsync(host, cancel);
        }
        catch (SocketException)
        {
            return []; // not resolvable yet: TCP keeps trying, and reports it
        }
    }

    /// <summary>Accepts the predecessor on TCP or on the Unix socket, whichever it comes through first.</summary>
    static async Task<Socket> AcceptEitherAsync(RingOptions options, RingListener listener, int prev, Progress state, CancellationToken cancel)
    {
        if (listener.Local is null) return await AcceptAsync(options, listener.Tcp, prev, state, cancel);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var pending = new List<Task<Socket>> { AcceptAsync(options, listener.Tcp, prev, state, either.Token), AcceptAsync(options, listener.Local, prev, state, either.Token) };
        try
        {
            while (true)
            {
                var done = await Task.WhenAny(pending);
                pending.Remove(done);
                if (done.IsCompletedSuccessfully || pending.Count == 0) return await done;
                // One listener failed for good: the other may still bring the predecessor.
            }
        }
        finally
        {
            either.Cancel(); // the other one stops waiting; a connection it checked meanwhile is not needed
            foreach (var other in pending) _ = other.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    static async Task<Socket> AcceptAsync(RingOptions options, Socket listener, int prev, Progress state, CancellationToken cancel)
    {
        var expected = new RingHandshake.Hello(options.WorldSize, prev, options.Rank, options.ChunkBytes, options.Token);
        while (true)
        {
            var socket = await listener.AcceptAsync(cancel);
            bool unix = socket.AddressFamily == AddressFamily.Unix;
            string from = unix ? "a local process" : socket.RemoteEndPoint?.ToString() ?? "?";
            try
            {
                if (!unix) socket.NoDelay = true;
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
