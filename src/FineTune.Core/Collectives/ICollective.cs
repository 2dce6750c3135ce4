using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// What data-parallel training needs from its process group, kept apart from the model as torch.distributed is:
/// sum a flat float buffer across ranks in place, broadcast one from a root, wait for all.
/// Implementations: <see cref="SingleProcess"/> (world size 1), <see cref="RingCollective"/> (TCP between processes:
/// CPU workers, and GPU workers without NCCL through host copies), <see cref="NcclCollective"/> (NCCL between CUDA
/// devices); <see cref="CollectiveFactory"/> picks one by the job's `collective` option.
/// Every call must fail loudly within its timeout rather than hang when a peer is lost: a <see cref="CollectiveException"/>.
/// </summary>
public interface ICollective : IDisposable
{
    int Rank { get; }
    int WorldSize { get; }

    /// <summary>In place: every rank ends with the element-wise sum over all ranks.</summary>
    void AllReduceSum(Tensor flat);

    /// <summary>In place: every rank ends with the element-wise mean over all ranks.</summary>
    void AllReduceAverage(Tensor flat)
    {
        AllReduceSum(flat);
        if (WorldSize == 1) return;
        using var worldSize = WorldSize.ToScalar(); // owned: a bare number would be a temporary Scalar (see Scalars)
        flat.div_(worldSize);
    }

    /// <summary>In place: every rank ends with the root's values.</summary>
    void Broadcast(Tensor flat, int root = 0);

    void Barrier();

    /// <summary>
    /// Fails any call in flight (from another thread) and makes the group unusable, without waiting for peers:
    /// the coordinator's way out of a stuck step (NCCL: ncclCommAbort). The default is Dispose.
    /// </summary>
    void Abort() => Dispose();
}
