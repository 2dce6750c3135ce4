using System.Net.Sockets;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>
/// The process group of a rank, chosen by the job's `collective` option: auto (the ring on CPU; NCCL between CUDA
/// devices once the GPU build has it) or ring (the TCP ring all-reduce). World size 1 needs no group at all. A
/// backend is one case here, so the GPU work adds nccl without touching the callers.
/// </summary>
public static class CollectiveFactory
{
    /// <summary>The values of the `collective` option this build accepts.</summary>
    public static readonly string[] Names = ["auto", "ring"];

    /// <summary>Why <paramref name="name"/> cannot be used in this build (the message of a refused option), or null.</summary>
    public static string? Problem(string name) => name switch
    {
        "auto" or "ring" => null,
        "nccl" => "nccl needs the GPU build (NCCL between CUDA devices is not in this CPU build): choose auto or ring",
        _ => $"unknown collective '{name}' (choose {string.Join(" or ", Names)})",
    };

    /// <summary>The backend <paramref name="name"/> means for ranks on <paramref name="device"/>: auto is the ring on CPU, nccl on CUDA.</summary>
    public static string Backend(string name, Device device) => name switch
    {
        "auto" => device.type == DeviceType.CUDA ? "nccl" : "ring",
        _ => name,
    };

    /// <summary>
    /// Joins this rank's group: <see cref="SingleProcess"/> at world size 1 (whatever the name), else the backend the
    /// name means. Throws <see cref="InvalidInputException"/> for a backend this build lacks.
    /// </summary>
    /// <param name="ring">rank, endpoints (their count is the world size), token, timeouts; the ring's settings</param>
    /// <param name="listen">binds this rank's ring socket (called only when a ring is formed); null: listen on Endpoints[Rank]</param>
    public static async Task<ICollective> CreateAsync(string name, Device device, RingOptions ring, Func<Socket>? listen = null, CancellationToken cancel = default)
    {
        if (ring.WorldSize == 1) return new SingleProcess();
        var backend = Backend(name, device);
        if (Problem(backend) is { } problem) throw new InvalidInputException($"--collective (collective) {name}: {problem}");
        return backend switch
        {
            "ring" => await RingCollective.CreateAsync(ring, listen?.Invoke(), cancel),
            _ => throw new InvalidOperationException($"the collective backend {backend} has no case here"),
        };
    }
}
