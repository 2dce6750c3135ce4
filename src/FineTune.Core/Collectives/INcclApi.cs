using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// The few NCCL and CUDA calls <see cref="NcclCollective"/> makes, behind an interface so the timeout, abort and id
/// exchange logic is tested against a fake on machines without a GPU. <see cref="NcclLibrary"/> is the real one.
/// Every method that takes a communicator may be called from another thread while a wait is in progress.
/// </summary>
interface INcclApi
{
    /// <summary>Why NCCL cannot be used in this process (library missing, too old), or null when it loads.</summary>
    string? Problem();

    /// <summary>ncclGetVersion's code, e.g. 22703 for 2.27.3.</summary>
    int Version();

    /// <summary>Makes the CUDA device current on the calling thread (ncclCommInitRank binds the communicator to it).</summary>
    void SetDevice(int index);

    NcclResult GetUniqueId(out NcclUniqueId id);

    /// <summary>Blocks until every rank has called it with the same id.</summary>
    NcclResult CommInitRank(out IntPtr comm, int nranks, NcclUniqueId id, int rank);

    /// <summary>Enqueues on <paramref name="stream"/> and returns.</summary>
    NcclResult AllReduce(IntPtr send, IntPtr recv, nuint count, NcclDataType type, NcclRedOp op, IntPtr comm, IntPtr stream);

    /// <summary>Enqueues on <paramref name="stream"/> and returns.</summary>
    NcclResult Broadcast(IntPtr send, IntPtr recv, nuint count, NcclDataType type, int root, IntPtr comm, IntPtr stream);

    /// <summary>An error seen by NCCL's own threads (a peer gone, a network failure) since the last call.</summary>
    NcclResult CommGetAsyncError(IntPtr comm, out NcclResult asyncError);

    /// <summary>Frees the communicator without waiting for peers and makes its kernels in flight exit.</summary>
    NcclResult CommAbort(IntPtr comm);

    string ErrorString(NcclResult result);

    /// <summary>Blocks until the work enqueued on <paramref name="device"/> is done (torch.cuda.synchronize): the completion wait.</summary>
    void Synchronize(Device device);
}
