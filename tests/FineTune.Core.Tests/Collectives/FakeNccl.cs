using System.Collections.Concurrent;
using FineTune.Core.Collectives;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>
/// A stand-in for libnccl and the device wait, for tests without a GPU. Its all-reduce acts as if every rank had
/// passed the same values (a sum multiplies them by <see cref="Ranks"/>); its wait can hang until the communicator is
/// aborted, as a real kernel with a lost peer does. Every call is logged.
/// </summary>
sealed unsafe class FakeNccl : INcclApi
{
    readonly ManualResetEventSlim aborted = new();
    readonly ManualResetEventSlim waiting = new();
    int aborts;

    /// <summary>What <see cref="Problem"/> says: null when "NCCL loads".</summary>
    public string? Missing { get; init; }
    public int VersionCode { get; init; } = 22703;
    public int Ranks { get; init; } = 2;

    /// <summary>The device wait blocks until the communicator is aborted (a kernel whose peer never comes).</summary>
    public bool Hang { get; set; }
    public NcclResult AsyncError { get; set; }
    public NcclResult EnqueueResult { get; set; }
    public NcclResult UniqueIdResult { get; set; }

    /// <summary>Set: ncclCommInitRank blocks until it is set (peers that never join).</summary>
    public ManualResetEventSlim? InitGate { get; set; }

    public ConcurrentQueue<string> Calls { get; } = new();
    public ConcurrentDictionary<int, (byte[] Id, int World)> Joined { get; } = new();
    public byte[]? MadeId { get; private set; }
    public int Aborts => Volatile.Read(ref aborts);

    /// <summary>Set once a call waits for the device.</summary>
    public bool WaitStarted(TimeSpan limit) => waiting.Wait(limit);

    public string? Problem() => Missing;
    public int Version() => VersionCode;
    public void SetDevice(int index) => Calls.Enqueue($"SetDevice {index}");

    public NcclResult GetUniqueId(out NcclUniqueId id)
    {
        var bytes = new byte[NcclUniqueId.Bytes];
        Random.Shared.NextBytes(bytes);
        bytes[0] = 0xFF; bytes[1] = 0x7F; bytes[2] = 0x80; bytes[3] = 0xFF; // a NaN pattern as float: must cross unchanged
        id = NcclUniqueId.From(bytes);
        MadeId = bytes;
        Calls.Enqueue("GetUniqueId");
        return UniqueIdResult;
    }

    public NcclResult CommInitRank(out IntPtr comm, int nranks, NcclUniqueId id, int rank)
    {
        InitGate?.Wait(TimeSpan.FromSeconds(60));
        Joined[rank] = (id.ToArray(), nranks);
        comm = 1000 + rank;
        return NcclResult.Success;
    }

    public NcclResult AllReduce(IntPtr send, IntPtr recv, nuint count, NcclDataType type, NcclRedOp op, IntPtr comm, IntPtr stream)
    {
        Calls.Enqueue($"AllReduce {op} {type} {count} {(send == recv ? "in place" : "copy")} stream {stream}");
        if (EnqueueResult != NcclResult.Success) return EnqueueResult;
        if (op == NcclRedOp.Sum && type == NcclDataType.Float32)
            for (nuint i = 0; i < count; i++) ((float*)recv)[i] *= Ranks;
        return NcclResult.Success;
    }

    public NcclResult Broadcast(IntPtr send, IntPtr recv, nuint count, NcclDataType type, int root, IntPtr comm, IntPtr stream)
    {
        Calls.Enqueue($"Broadcast {type} {count} root {root}");
        return EnqueueResult;
    }

    public NcclResult CommGetAsyncError(IntPtr comm, out NcclResult asyncError)
    {
        asyncError = AsyncError;
        return NcclResult.Success;
    }

    public NcclResult CommAbort(IntPtr comm)
    {
        Interlocked.Increment(ref aborts);
        Calls.Enqueue($"CommAbort {comm}");
        aborted.Set();
        return NcclResult.Success;
    }

    public string ErrorString(NcclResult result) => $"fake text for {result}";

    public void Synchronize(Device device)
    {
        waiting.Set();
        // Bounded, so a broken watchdog fails its test instead of hanging the run.
        if (Hang && !aborted.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("the fake kernel was never aborted");
    }
}
