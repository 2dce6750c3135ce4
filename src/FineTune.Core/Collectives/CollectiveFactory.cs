using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// The process group of a rank, chosen by the job's `collective` option: ring (the TCP ring all-reduce; CUDA tensors
/// through host memory), nccl (NCCL between CUDA devices; refused unless every rank can load it) or auto (NCCL when
/// every rank is on CUDA and NCCL loads there, else the ring). World size 1 needs no group at all. Every multi-rank
/// group starts as the TCP ring: it authenticates the ranks with the group token, then auto and nccl agree over it on
/// the backend and hand rank 0's NCCL id around it (<see cref="NcclBootstrap"/>). A backend is one case here.
/// </summary>
public static class CollectiveFactory
{
    /// <summary>The values of the `collective` option.</summary>
    public static readonly string[] Names = ["auto", "ring", "nccl"];

    /// <summary>
    /// Why <paramref name="name"/> cannot be used with the job's <paramref name="device"/> option (auto, cpu, cuda,
    /// cuda:N; null: not known yet), the message of a refused option; or null.
    /// </summary>
    public static string? Problem(string name, string? device = null) => name switch
    {
        "auto" or "ring" => null,
        "nccl" when device == "cpu" => "nccl needs CUDA devices (the job trains on --device cpu): choose auto or ring",
        "nccl" => null,
        _ => $"unknown collective '{name}' (choose {string.Join(", ", Names)})",
    };

    /// <summary>
    /// Joins this rank's group: <see cref="SingleProcess"/> at world size 1 (whatever the name), else the backend the
    /// name means. Throws <see cref="InvalidInputException"/> for a backend that cannot run here (nccl on CPU, or
    /// where a rank cannot load NCCL) and <see cref="CollectiveException"/> when the group does not form.
    /// </summary>
    /// <param name="ring">rank, endpoints (their count is the world size), token, timeouts; the ring's settings, NCCL's timeout</param>
    /// <param name="listen">binds this rank's ring socket (called only when a group is formed); null: listen on Endpoints[Rank]</param>
    public static Task<ICollective> CreateAsync(string name, Device device, RingOptions ring, Func<RingListener>? listen = null, CancellationToken cancel = default) =>
        CreateAsync(name, device, ring, listen, NcclLibrary.Shared, cancel);

    /// <summary><see cref="CreateAsync(string, Device, RingOptions, Func{RingListener}?, CancellationToken)"/> with the NCCL layer given (a fake in tests).</summary>
    internal static async Task<ICollective> CreateAsync(string name, Device device, RingOptions ring, Func<RingListener>? listen, INcclApi nccl, CancellationToken cancel)
    {
        if (ring.WorldSize == 1) return new SingleProcess();
        if (Problem(name, device.type == DeviceType.CUDA ? "cuda" : "cpu") is { } problem) throw new InvalidInputException($"--collective (collective) {name}: {problem}");
        var tcp = await RingCollective.CreateAsync(ring, listen?.Invoke(), cancel);
        if (name == "ring") return tcp;
        try
        {
            var chosen = await NcclBootstrap.ChooseAsync(name, device, tcp, ring, nccl, cancel);
            if (!ReferenceEquals(chosen, tcp)) tcp.Dispose();
            return chosen;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }
}
