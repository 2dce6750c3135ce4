using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>World size 1: every collective is the identity.</summary>
public sealed class SingleProcess : ICollective
{
    public int Rank => 0;
    public int WorldSize => 1;
    public void AllReduceSum(Tensor flat) { }
    public void Broadcast(Tensor flat, int root = 0) { }
    public void Barrier() { }
    public void Dispose() { }
}
