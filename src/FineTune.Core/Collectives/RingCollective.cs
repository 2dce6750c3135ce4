using FineTune.Core.Torch;
using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// Ring all-reduce between worker processes over raw TCP (System.Net.Sockets), the CPU data plane and the fallback
/// everywhere. Raw sockets rather than gRPC streams: frames go from the tensor's memory to the kernel and back with no
/// per-message protobuf copies or HTTP/2 flow control in between; gRPC stays the control plane (rendezvous addresses
/// come from the coordinator). Each rank connects to rank+1 and accepts rank-1; see <see cref="RingSchedule"/> for
/// the algorithm and <see cref="RingTransport"/> for the pipelining, timeouts and failure handling.
/// Tensors on a CUDA device go through a host copy (<see cref="HostStaging"/>): the fallback where NCCL is missing.
/// Calls are collective: every rank makes the same calls, in the same order, with buffers of the same length.
/// One call at a time per instance; after any failure the instance throws on every call and must be rebuilt.
/// </summary>
public sealed class RingCollective : ICollective
{
    readonly RingOptions options;
    readonly RingTransport? transport; // null for world size 1
    ulong sequence;
    int busy;
    bool disposed;

    RingCollective(RingOptions options, RingTransport? transport)
    {
        this.options = options;
        this.transport = transport;
    }

    public int Rank => options.Rank;
    public int WorldSize => options.WorldSize;

    /// <summary>How this rank reaches its neighbours, e.g. "to rank 1: unix, from rank 1: tcp" (empty at world size 1).</summary>
    public string Links => transport?.Links ?? "";

    /// <summary>The limit on each call.</summary>
    public TimeSpan Timeout => options.Timeout;

    /// <summary>Test hook: copy CPU tensors through host staging too, as CUDA tensors always are.</summary>
    internal bool AlwaysStage { get; set; }

    /// <summary>
    /// This rank's listening sockets for <paramref name="endpoint"/> ("host:port"; port 0 picks a free port, read it back
    /// from LocalEndPoint). Workers bind first, report the port, then pass the listener to <see cref="Create"/>.
    /// </summary>
    public static RingListener Listen(string endpoint, int socketBufferBytes = 4 << 20) => RingListener.Listen(endpoint, socketBufferBytes);

    /// <summary>Joins the ring; blocks until every rank is connected and checked, or throws <see cref="CollectiveException"/> after the rendezvous timeout.</summary>
    /// <param name="listener">This rank's listening socket, when bound beforehand; the group takes ownership. Null: listen on Endpoints[Rank].</param>
    public static RingCollective Create(RingOptions options, RingListener? listener = null) =>
        CreateAsync(options, listener).GetAwaiter().GetResult();

    /// <inheritdoc cref="Create"/>
    public static async Task<RingCollective> CreateAsync(RingOptions options, RingListener? listener = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            options.Validate();
            if (options.WorldSize == 1) return new RingCollective(options, null);
            listener ??= RingListener.Listen(options.Endpoints[options.Rank], options.SocketBufferBytes);
            var (toNext, fromPrev) = await RingRendezvous.FormAsync(options, listener, cancel);
            listener.Dispose(); // both connections exist: later connection attempts (stale processes) are refused by the kernel
            var transport = new RingTransport(toNext, fromPrev, options.Rank, options.WorldSize, options.Endpoints, options.ChunkBytes);
            var ring = new RingCollective(options, transport);
            try
            {
                // This rank's two links are up; a barrier waits until every link of the ring is.
                ring.BarrierCore(options.RendezvousLimit);
            }
            catch
            {
                ring.Dispose();
                throw;
            }
            return ring;
        }
        finally
        {
            listener?.Dispose();
        }
    }

    public void AllReduceSum(Tensor flat)
    {
        Enter();
        try
        {
            HostStaging.Run(flat, AlwaysStage, AllReduceHost);
        }
        finally
        {
            GC.KeepAlive(flat); // the sockets work on its memory until Run returns
            Exit();
        }
    }

    public void Broadcast(Tensor flat, int root = 0)
    {
        Enter();
        try
        {
            if (root < 0 || root >= WorldSize) throw new ArgumentOutOfRangeException(nameof(root), root, $"Root must be in [0, {WorldSize}).");
            HostStaging.Run(flat, AlwaysStage, host => BroadcastHost(host, root));
        }
        finally
        {
            GC.KeepAlive(flat);
            Exit();
        }
    }

    unsafe void AllReduceHost(Tensor flat)
    {
        var data = TensorMemory.Floats(flat, nameof(AllReduceSum), out long count);
        if (WorldSize == 1) return;
        Run(RingSchedule.AllReduce(RingOp.AllReduceSum, Rank, WorldSize, count, ChunkFloats), data, nameof(AllReduceSum), options.Timeout);
    }

    unsafe void BroadcastHost(Tensor flat, int root)
    {
        var data = TensorMemory.Floats(flat, nameof(Broadcast), out long count);
        if (WorldSize == 1) return;
        Run(RingSchedule.Broadcast(Rank, WorldSize, root, count, ChunkFloats), data, nameof(Broadcast), options.Timeout);
    }

    public void Barrier()
    {
        Enter();
        try
        {
            BarrierCore(options.Timeout);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>A one-float all-reduce of 1s: it cannot finish on any rank before every rank has called it, and the sum checks the world size.</summary>
    unsafe void BarrierCore(TimeSpan timeout)
    {
        if (WorldSize == 1) return;
        float one = 1;
        Run(RingSchedule.AllReduce(RingOp.Barrier, Rank, WorldSize, 1, ChunkFloats), &one, nameof(Barrier), timeout);
        if (one != WorldSize)
            throw new CollectiveException($"Barrier on rank {Rank} counted {one} ranks instead of {WorldSize}.");
    }

    unsafe void Run(RingSchedule schedule, float* data, string operation, TimeSpan timeout) =>
        transport!.Run(schedule, data, ++sequence, operation, timeout);

    int ChunkFloats => options.ChunkBytes / sizeof(float);

    void Enter()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Interlocked.Exchange(ref busy, 1) != 0)
            throw new InvalidOperationException("Collective calls on one group must not overlap: make them from one thread, one at a time.");
    }

    void Exit() => Volatile.Write(ref busy, 0);

    /// <summary>Fails a call in flight on another thread within moments, and every later call.</summary>
    public void Abort() => transport?.Abort("aborted");

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        transport?.Dispose();
    }
}
