using System.Diagnostics;
using FineTune.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// All-reduce between CUDA devices through NCCL: the GPU data plane. Each call enqueues the NCCL kernel on the default
/// stream, where TorchSharp runs its kernels (so it follows backward and precedes the optimizer step), then waits for
/// the device. A watchdog polls NCCL's asynchronous error while the call waits; an error, the collective timeout or
/// <see cref="Abort"/> (from another thread) calls ncclCommAbort, which makes the kernel exit, and the call throws
/// <see cref="CollectiveException"/>, as the ring does. After any failure the group is unusable and must be rebuilt.
/// Created by <see cref="CollectiveFactory"/>, which forms the TCP ring first and passes rank 0's id around it.
/// </summary>
public sealed class NcclCollective : ICollective
{
    readonly INcclApi api;
    readonly Device device;
    readonly string group;
    readonly object gate = new();
    IntPtr comm; // Zero once aborted; guarded by gate, like everything below
    CollectiveException? failure;
    bool thrown; // failure was thrown once: later calls get a fresh "unusable" exception
    ulong call;  // the call the watchdog may act on; 0 when none waits
    int busy;
    bool disposed;

    internal NcclCollective(INcclApi api, IntPtr comm, int rank, int worldSize, Device device, TimeSpan timeout, string group)
    {
        this.api = api;
        this.comm = comm;
        this.device = device;
        this.group = group;
        Rank = rank;
        WorldSize = worldSize;
        Timeout = timeout;
    }

    public int Rank { get; }
    public int WorldSize { get; }

    /// <summary>The limit on each call; past it the communicator is aborted.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The loaded NCCL's version, e.g. "2.27.3".</summary>
    public string Version => NcclTypes.VersionText(api.Version());

    public void AllReduceSum(Tensor flat) => Reduce(flat, NcclRedOp.Sum, nameof(AllReduceSum));

    /// <summary>ncclAvg where NCCL has it (2.10+), else a sum divided on the device.</summary>
    public void AllReduceAverage(Tensor flat)
    {
        if (api.Version() >= NcclTypes.FirstWithAvg)
        {
            Reduce(flat, NcclRedOp.Avg, nameof(AllReduceAverage));
            return;
        }
        Reduce(flat, NcclRedOp.Sum, nameof(AllReduceAverage));
        using var worldSize = WorldSize.ToScalar(); // owned: a bare number would be a temporary Scalar (see Scalars)
        flat.div_(worldSize);
    }

    void Reduce(Tensor flat, NcclRedOp op, string operation)
    {
        Enter();
        try
        {
            var (address, count, type) = Buffer(flat, operation);
            if (count > 0) Run(operation, c => api.AllReduce(address, address, count, type, op, c, IntPtr.Zero));
        }
        finally
        {
            GC.KeepAlive(flat); // NCCL works on its memory until the wait returns
            Exit();
        }
    }

    public void Broadcast(Tensor flat, int root = 0)
    {
        Enter();
        try
        {
            if (root < 0 || root >= WorldSize) throw new ArgumentOutOfRangeException(nameof(root), root, $"Root must be in [0, {WorldSize}).");
            var (address, count, type) = Buffer(flat, nameof(Broadcast));
            if (count > 0) Run(nameof(Broadcast), c => api.Broadcast(address, address, count, type, root, c, IntPtr.Zero));
        }
        finally
        {
            GC.KeepAlive(flat);
            Exit();
        }
    }

    /// <summary>A one-element all-reduce of 1s: no rank finishes before every rank has called it, and the sum checks the world size.</summary>
    public void Barrier()
    {
        Enter();
        try
        {
            using var scope = NewDisposeScope();
            var one = ones(1, ScalarType.Float32, device);
            var address = TensorMemory.Address(one);
            Run(nameof(Barrier), c => api.AllReduce(address, address, 1, NcclDataType.Float32, NcclRedOp.Sum, c, IntPtr.Zero));
            float counted = one.item<float>();
            if (counted != WorldSize) throw new CollectiveException($"Barrier on rank {Rank} of {group} counted {counted} ranks instead of {WorldSize}.");
        }
        finally
        {
            Exit();
        }
    }

    (IntPtr Address, nuint Count, NcclDataType Type) Buffer(Tensor flat, string operation)
    {
        ArgumentNullException.ThrowIfNull(flat);
        var type = NcclTypes.Of(flat.dtype) ?? throw new ArgumentException($"{operation} needs a floating-point tensor; got {flat.dtype}.", nameof(flat));
        if (flat.device_type != device.type || flat.device_index != device.index)
            throw new ArgumentException($"{operation} on rank {Rank} needs a tensor on this rank's device {device}; got {flat.device}.", nameof(flat));
        if (!flat.is_contiguous())
            throw new ArgumentException($"{operation} needs a contiguous tensor; call .contiguous() and copy the result back.", nameof(flat));
        return (TensorMemory.Address(flat), (nuint)flat.numel(), type);
    }

    /// <summary>Enqueues one NCCL call and waits for the device, bounded by <see cref="Timeout"/>.</summary>
    void Run(string operation, Func<IntPtr, NcclResult> enqueue)
    {
        ulong id;
        lock (gate)
        {
            ThrowIfFailed();
            var result = enqueue(comm);
            if (result != NcclResult.Success) throw FailLocked(Error($"{operation} on rank {Rank} of {group} was refused", result));
            id = ++call;
        }
        var started = Stopwatch.GetTimestamp();
        var poll = TimeSpan.FromMilliseconds(Math.Clamp(Timeout.TotalMilliseconds / 4, 1, 100));
        using (new Timer(_ => Watch(id, operation, started), null, poll, poll))
        {
            try
            {
                api.Synchronize(device);
            }
            catch (Exception e)
            {
                lock (gate) FailLocked(new CollectiveException($"{operation} on rank {Rank} of {group}: waiting for the device failed: {e.Message}", inner: e));
            }
        }
        lock (gate)
        {
            call = 0; // a watchdog tick still running sees that this call is over
            if (failure is null) CheckAsyncErrorLocked(operation); // an error the last tick did not see
            ThrowIfFailed();
        }
    }

    /// <summary>The watchdog's tick: abort on NCCL's asynchronous error or when the call's time is up.</summary>
    void Watch(ulong id, string operation, long started)
    {
        lock (gate)
        {
            if (call != id || failure is not null) return;
            var waited = Stopwatch.GetElapsedTime(started);
            if (waited >= Timeout)
                FailLocked(new CollectiveException(
                    $"{operation} on rank {Rank} of {group} did not finish within {Timeout.TotalSeconds:0.###} s (a peer is lost or stalled); the NCCL communicator was aborted.",
                    timedOut: true));
            else CheckAsyncErrorLocked(operation);
        }
    }

    void CheckAsyncErrorLocked(string operation)
    {
        var result = api.CommGetAsyncError(comm, out var asyncError);
        if (result != NcclResult.Success) FailLocked(Error($"{operation} on rank {Rank} of {group}: ncclCommGetAsyncError failed", result));
        else if (asyncError is not NcclResult.Success and not NcclResult.InProgress)
            FailLocked(Error($"{operation} on rank {Rank} of {group} failed", asyncError));
    }

    CollectiveException Error(string what, NcclResult result) => new($"{what}: NCCL {result} ({api.ErrorString(result)}).");

    /// <summary>Records the first failure and aborts the communicator: the kernel in flight exits and the wait returns.</summary>
    CollectiveException FailLocked(CollectiveException e)
    {
        failure ??= e;
        if (comm != IntPtr.Zero)
        {
            var c = comm;
            comm = IntPtr.Zero;
            api.CommAbort(c); // its own result is of no use: the group is unusable either way
        }
        return failure;
    }

    void ThrowIfFailed()
    {
        if (failure is null) return;
        if (!thrown)
        {
            thrown = true;
            throw failure;
        }
        throw new CollectiveException($"This NCCL group is unusable after an earlier failure ({failure.Message}); the coordinator must form a new one.",
            failure.PeerRank, failure.PeerEndpoint, failure.TimedOut, failure);
    }

    void Enter()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Interlocked.Exchange(ref busy, 1) != 0)
            throw new InvalidOperationException("Collective calls on one group must not overlap: make them from one thread, one at a time.");
    }

    void Exit() => Volatile.Write(ref busy, 0);

    /// <summary>ncclCommAbort: fails a call in flight on another thread within moments, and every later call.</summary>
    public void Abort()
    {
        lock (gate) FailLocked(new CollectiveException($"Rank {Rank}: the NCCL group {group} was aborted."));
    }

    /// <summary>
    /// Frees the communicator with ncclCommAbort rather than ncclCommDestroy: destroy finalizes with the peers first
    /// and would hang on one that is gone; abort frees this rank's resources only.
    /// </summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            FailLocked(new CollectiveException($"Rank {Rank}: the NCCL group {group} was closed."));
        }
    }
}
