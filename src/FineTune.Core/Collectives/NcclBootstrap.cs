using System.Buffers.Binary;
using FineTune.Core.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// Forms an NCCL group over a TCP ring that is already formed (and authenticated with the group token): the ranks
/// agree on the backend, rank 0 makes the NCCL unique id and broadcasts it around the ring (the role torchrun's store
/// plays), and every rank joins the communicator. The ring carries no training traffic when NCCL is chosen.
/// </summary>
static class NcclBootstrap
{
    /// <summary>
    /// NCCL (initialized) when every rank can run it, else <paramref name="ring"/> itself for auto; explicit nccl with a
    /// rank that cannot fails on every rank with <see cref="InvalidInputException"/>. All ranks decide alike.
    /// </summary>
    public static async Task<ICollective> ChooseAsync(string name, Device device, RingCollective ring, RingOptions options, INcclApi nccl, CancellationToken cancel)
    {
        string? problem = device.type != DeviceType.CUDA ? $"it trains on {device}, NCCL needs CUDA" : nccl.Problem();
        var capable = Capable(ring, problem is null);
        var lacking = Enumerable.Range(0, ring.WorldSize).Where(r => !capable[r]).ToList();
        if (lacking.Count > 0)
        {
            if (name == "auto") return ring;
            throw new InvalidInputException($"--collective (collective) nccl: " +
                (problem is not null ? $"rank {ring.Rank} cannot use NCCL: {problem}" : $"rank{(lacking.Count > 1 ? "s" : "")} {string.Join(", ", lacking)} cannot use NCCL") +
                "; choose auto (NCCL when every rank can, else the ring) or ring");
        }
        var id = ShareId(ring, nccl);
        return await InitAsync(nccl, id, options, device, cancel);
    }

    /// <summary>Which ranks can run NCCL, on every rank: a one-hot all-reduce over the ring.</summary>
    public static bool[] Capable(RingCollective ring, bool self)
    {
        using var scope = NewDisposeScope();
        var flags = new float[ring.WorldSize];
        flags[ring.Rank] = self ? 1 : 0;
        var sums = tensor(flags);
        ring.AllReduceSum(sums);
        return sums.data<float>().ToArray().Select(v => v == 1).ToArray();
    }

    /// <summary>Rank 0's new id on every rank. A failure to make it on rank 0 reaches every rank as a <see cref="CollectiveException"/>.</summary>
    public static NcclUniqueId ShareId(RingCollective ring, INcclApi nccl)
    {
        // Status (i32) and the id's bytes, moved as raw memory in a float tensor (the ring broadcasts bytes unchanged).
        var message = new byte[sizeof(int) + NcclUniqueId.Bytes];
        if (ring.Rank == 0)
        {
            var made = nccl.GetUniqueId(out var id);
            BinaryPrimitives.WriteInt32LittleEndian(message, (int)made);
            if (made == NcclResult.Success) id.ToArray().CopyTo(message, sizeof(int));
        }
        Exchange(ring, message); // also on failure, so the other ranks fail now rather than at their timeout
        var status = (NcclResult)BinaryPrimitives.ReadInt32LittleEndian(message);
        if (status != NcclResult.Success)
            throw new CollectiveException($"Rank 0 could not make the NCCL unique id: NCCL {status}" + (ring.Rank == 0 ? $" ({nccl.ErrorString(status)})." : "."), peerRank: 0);
        return NcclUniqueId.From(message.AsSpan(sizeof(int)));
    }

    static unsafe void Exchange(RingCollective ring, byte[] message)
    {
        using var scope = NewDisposeScope();
        var carrier = zeros((message.Length + sizeof(float) - 1) / sizeof(float), ScalarType.Float32);
        var memory = (byte*)TensorMemory.Address(carrier);
        message.CopyTo(new Span<byte>(memory, message.Length));
        ring.Broadcast(carrier, 0);
        new ReadOnlySpan<byte>(memory, message.Length).CopyTo(message);
    }

    /// <summary>
    /// ncclCommInitRank on a thread of its own (it makes the device current there and blocks until every rank has joined),
    /// bounded by the collective timeout. Past it, or when <paramref name="cancel"/> fires, the blocked thread is left
    /// behind (a blocking init cannot be aborted before it returns a communicator) and aborts the communicator if it ever does.
    /// </summary>
    public static async Task<NcclCollective> InitAsync(INcclApi nccl, NcclUniqueId id, RingOptions options, Device device, CancellationToken cancel)
    {
        var rankDevice = device.type == DeviceType.CUDA && device.index < 0 ? new Device(DeviceType.CUDA, 0) : device; // "cuda" is cuda:0
        var joined = new TaskCompletionSource<IntPtr>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                if (rankDevice.type == DeviceType.CUDA) nccl.SetDevice(rankDevice.index);
                var result = nccl.CommInitRank(out var comm, options.WorldSize, id, options.Rank);
                if (result != NcclResult.Success)
                    joined.TrySetException(new CollectiveException($"Rank {options.Rank} could not join the NCCL group {options.Group}: NCCL {result} ({nccl.ErrorString(result)})."));
                else if (!joined.TrySetResult(comm))
                    nccl.CommAbort(comm); // the creator gave up waiting
            }
            catch (Exception e)
            {
                joined.TrySetException(new CollectiveException($"Rank {options.Rank} could not join the NCCL group {options.Group}: {e.Message}", inner: e));
            }
        })
        { IsBackground = true, Name = $"nccl-init rank {options.Rank}" };
        thread.Start();

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(options.Timeout);
        using (limit.Token.Register(() => joined.TrySetCanceled(limit.Token)))
        {
            try
            {
                var comm = await joined.Task;
                return new NcclCollective(nccl, comm, options.Rank, options.WorldSize, rankDevice, options.Timeout, options.Group);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                throw new CollectiveException(
                    $"Rank {options.Rank} could not join the NCCL group {options.Group} within {options.Timeout.TotalSeconds:0.###} s: a peer did not join (lost, or its init failed).",
                    timedOut: true);
            }
        }
    }
}
