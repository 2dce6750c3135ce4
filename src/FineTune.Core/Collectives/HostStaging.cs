using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// How the TCP ring handles tensors outside host memory (CUDA gradients where NCCL is missing): through a host copy.
/// The copy to the host waits for the device's queued work (backward), and the copy back is queued before the
/// optimizer step, on the same default stream. A CPU tensor is used in place (zero-copy).
/// </summary>
static class HostStaging
{
    /// <summary>Whether <paramref name="flat"/> needs a host copy for the ring.</summary>
    public static bool Needed(Tensor flat) => flat.device_type != DeviceType.CPU;

    /// <summary>
    /// Runs <paramref name="onHost"/> on <paramref name="flat"/> itself when it is in host memory, else on a contiguous host
    /// copy whose result is copied back. <paramref name="always"/> takes the copy path for a CPU tensor too (the tests).
    /// </summary>
    public static void Run(Tensor flat, bool always, Action<Tensor> onHost)
    {
        ArgumentNullException.ThrowIfNull(flat);
        if (!always && !Needed(flat))
        {
            onHost(flat);
            return;
        }
        using var scope = NewDisposeScope();
        var host = empty(flat.shape, flat.dtype, CPU);
        host.copy_(flat);
        onHost(host);
        flat.copy_(host);
    }
}
