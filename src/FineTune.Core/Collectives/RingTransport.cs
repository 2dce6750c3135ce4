using System.Net.Sockets;
using FineTune.Core.Torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// Runs one <see cref="RingSchedule"/> at a time over this rank's two connections: a dedicated thread sends to the
/// successor straight from the buffer's memory while the calling thread receives from the predecessor and reduces
/// (or copies) each chunk into the buffer as it lands. A watchdog bounds every call; on any failure both sockets are
/// shut down at once (so the neighbours fail fast too, instead of waiting for their own timeouts) and the transport
/// stays failed.
/// </summary>
sealed unsafe class RingTransport : IDisposable
{
    readonly Socket toNext, fromPrev;
    readonly int rank, next, prev;
    readonly string nextEndpoint, prevEndpoint;
    readonly byte[] scratch; // reduce-scatter chunks land here before being added; pinned for the pointer
    readonly Thread sender;
    readonly object gate = new();

    // State of the call in flight, guarded by gate.
    RingSchedule? schedule;
    float* buffer;
    ulong sequence;
    string operation = "";
    int receivesDone;
    int receiving = -1, sending = -1; // piece index in progress, -1 when that side is done or idle
    bool sendRequested, sendFinished, active, stopping;
    CollectiveException? failure;
    int closed;

    public RingTransport(Socket toNext, Socket fromPrev, int rank, int world, IReadOnlyList<string> endpoints, int chunkBytes)
    {
        this.toNext = toNext;
        this.fromPrev = fromPrev;
        this.rank = rank;
        next = (rank + 1) % world;
        prev = (rank - 1 + world) % world;
        nextEndpoint = endpoints[next];
        prevEndpoint = endpoints[prev];
        BlockingDescriptor.TryRestore(toNext); // wait in the kernel, not through .NET's epoll thread
        BlockingDescriptor.TryRestore(fromPrev);
        scratch = GC.AllocateUninitializedArray<byte>(chunkBytes, pinned: true);
        sender = new Thread(SendLoop) { IsBackground = true, Name = $"ring-send rank {rank}" };
        sender.Start();
    }

    /// <summary>Each link's kind (tcp or unix), for logs and benchmarks.</summary>
    public string Links => $"to rank {next}: {Kind(toNext)}, from rank {prev}: {Kind(fromPrev)}";

    static string Kind(Socket s) => s.AddressFamily == AddressFamily.Unix ? "unix" : "tcp";

    /// <summary>The failure that ended this transport, if any.</summary>
    public CollectiveException? Failure
    {
        get { lock (gate) return failure; }
    }

    /// <summary>Runs <paramref name="plan"/> on <paramref name="data"/>; throws <see cref="CollectiveException"/> on any failure or when <paramref name="timeout"/> runs out.</summary>
    public void Run(RingSchedule plan, float* data, ulong seq, string op, TimeSpan timeout)
    {
        lock (gate)
        {
            if (failure is not null) throw Unusable();
            schedule = plan;
            buffer = data;
            sequence = seq;
            operation = op;
            receivesDone = 0;
            receiving = plan.Receives.Length > 0 ? 0 : -1;
            sending = -1;
            sendFinished = false;
            sendRequested = true;
            active = true;
            Monitor.PulseAll(gate);
        }
        using (var watchdog = new Timer(_ => TimedOut(seq, timeout), null, timeout, Timeout.InfiniteTimeSpan))
        {
            try
            {
                ReceiveAll(plan, data, seq);
            }
            catch (Exception e)
            {
                Fail(Describe(e, receivingSide: true));
            }
            lock (gate)
            {
                receiving = -1;
                while (!sendFinished) Monitor.Wait(gate);
                active = false;
            }
        }
        lock (gate)
        {
            schedule = null;
            buffer = null;
            if (failure is not null) throw failure;
        }
    }

    void ReceiveAll(RingSchedule plan, float* data, ulong seq)
    {
        Span<byte> header = stackalloc byte[RingFrame.Size];
        var receives = plan.Receives;
        for (int i = 0; i < receives.Length; i++)
        {
            var piece = receives[i];
            Volatile.Write(ref receiving, i);
            ReceiveExactly(header);
            var expected = new RingFrame(plan.Op, plan.Root, piece.Step, piece.Count, seq, piece.Offset, plan.Total);
            var got = RingFrame.Read(header);
            string? problem = got is null ? "bytes that are not a ring frame (bad magic)" : RingFrame.Mismatch(got.Value, expected);
            if (problem is not null)
                throw new CollectiveException($"{operation} #{seq} on rank {rank}: rank {prev} at {prevEndpoint} sent {problem}.", prev, prevEndpoint);
            if (piece.Count > 0)
            {
                if (piece.Reduce)
                {
                    fixed (byte* s = scratch)
                    {
                        ReceiveExactly(new Span<byte>(s, piece.Count * sizeof(float)));
                        TensorMemory.AddInto(data + piece.Offset, (float*)s, piece.Count);
                    }
                }
                else
                {
                    ReceiveExactly(new Span<byte>(data + piece.Offset, piece.Count * sizeof(float)));
                }
            }
            lock (gate)
            {
                receivesDone = i + 1;
                Monitor.PulseAll(gate);
            }
        }
    }

    void SendLoop()
    {
        Span<byte> header = stackalloc byte[RingFrame.Size];
        while (true)
        {
            RingSchedule plan;
            float* data;
            ulong seq;
            lock (gate)
            {
                while (!sendRequested && !stopping) Monitor.Wait(gate);
                // A call already waiting still gets its sendFinished (it fails at once: stopping implies failure).
                if (!sendRequested) return;
                sendRequested = false;
                plan = schedule!;
                data = buffer;
                seq = sequence;
            }
            try
            {
                for (int i = 0; i < plan.Sends.Length; i++)
                {
                    var piece = plan.Sends[i];
                    lock (gate)
                    {
                        // Forward a chunk only once the step before has brought it (reduced) into the buffer.
                        sending = -1;
                        while (receivesDone < piece.After && failure is null) Monitor.Wait(gate);
                        if (failure is not null) break;
                        sending = i;
                    }
                    new RingFrame(plan.Op, plan.Root, piece.Step, piece.Count, seq, piece.Offset, plan.Total).Write(header);
                    SendExactly(header);
                    if (piece.Count > 0) SendExactly(new ReadOnlySpan<byte>(data + piece.Offset, piece.Count * sizeof(float)));
                }
            }
            catch (Exception e)
            {
                Fail(Describe(e, receivingSide: false));
            }
            lock (gate)
            {
                sending = -1;
                sendFinished = true;
                Monitor.PulseAll(gate);
            }
        }
    }

    void ReceiveExactly(Span<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = fromPrev.Receive(data, SocketFlags.None);
            if (n == 0) throw new EndOfStreamException();
            data = data[n..];
        }
    }

    void SendExactly(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty) data = data[toNext.Send(data, SocketFlags.None)..];
    }

    void TimedOut(ulong seq, TimeSpan timeout)
    {
        CollectiveException error;
        lock (gate)
        {
            if (!active || sequence != seq || failure is not null) return;
            var plan = schedule!;
            var waits = new List<string>();
            if (receiving >= 0) waits.Add($"receiving {Describe(plan, plan.Receives[receiving])} from rank {prev} at {prevEndpoint}");
            if (sending >= 0) waits.Add($"sending {Describe(plan, plan.Sends[sending])} to rank {next} at {nextEndpoint}");
            bool blameNext = receiving < 0 && sending >= 0;
            error = new CollectiveException(
                $"{operation} #{seq} on rank {rank} timed out after {timeout.TotalSeconds:0.###} s while {string.Join(" and ", waits)}: " +
                "the peer is dead, stalled, or not making the same call.",
                blameNext ? next : prev, blameNext ? nextEndpoint : prevEndpoint, timedOut: true);
        }
        Fail(error);
    }

    static string Describe(RingSchedule plan, RingPiece piece) =>
        $"step {piece.Step + 1}/{plan.Steps} (floats [{piece.Offset}, +{piece.Count}) of {plan.Total})";

    /// <summary>Turns a socket-level error on one side into a message naming the peer on that side.</summary>
    CollectiveException Describe(Exception e, bool receivingSide)
    {
        if (e is CollectiveException ce) return ce;
        lock (gate)
        {
            // Our own abort (timeout, Abort, Dispose, the other side's failure) closed the socket: keep that reason.
            if (failure is not null) return failure;
        }
        var (peer, endpoint) = receivingSide ? (prev, prevEndpoint) : (next, nextEndpoint);
        string doing = receivingSide ? "receiving from" : "sending to";
        string what = e switch
        {
            EndOfStreamException => $"rank {peer} at {endpoint} closed the connection while rank {rank} was {doing} it",
            SocketException se => $"the connection to rank {peer} at {endpoint} failed while rank {rank} was {doing} it ({se.SocketErrorCode})",
            ObjectDisposedException => $"the connection to rank {peer} at {endpoint} was closed locally",
            _ => $"rank {rank} failed while {doing} rank {peer} at {endpoint} ({e.GetType().Name}: {e.Message})",
        };
        return new CollectiveException($"{operation} #{sequence}: {what}.", peer, endpoint, inner: e);
    }

    void Fail(CollectiveException error)
    {
        lock (gate)
        {
            failure ??= error;
            Monitor.PulseAll(gate);
        }
        Close();
    }

    CollectiveException Unusable() => new(
        $"This ring group is unusable after an earlier failure ({failure!.Message}); the coordinator must form a new one.",
        failure.PeerRank, failure.PeerEndpoint, failure.TimedOut, failure);

    /// <summary>Fails the call in flight, if any, and every later one.</summary>
    public void Abort(string reason) =>
        Fail(new CollectiveException($"Rank {rank}: the ring group was {reason}.", null, null));

    /// <summary>Shutdown wakes any thread blocked in send or receive and tells both neighbours at once.</summary>
    void Close()
    {
        if (Interlocked.Exchange(ref closed, 1) != 0) return;
        foreach (var socket in new[] { toNext, fromPrev })
        {
            try { socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            socket.Dispose();
        }
    }

    public void Dispose()
    {
        Abort("disposed");
        lock (gate)
        {
            stopping = true;
            Monitor.PulseAll(gate);
        }
        if (Thread.CurrentThread != sender) sender.Join(TimeSpan.FromSeconds(5));
    }
}
