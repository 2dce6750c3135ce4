using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Collectives;

/// <summary>What <see cref="NcclSelfCheck.Run"/> found on one rank.</summary>
/// <param name="Backend">the group's type name: NcclCollective when NCCL was formed</param>
/// <param name="AllReduceMilliseconds">mean time of one all-reduce of the check's buffer</param>
/// <param name="StallFailedAfterSeconds">rank 0: how long its call with no partner took to fail (CollectiveException); null elsewhere or when skipped</param>
/// <param name="Detail">what failed, or a summary of what passed</param>
public sealed record NcclSelfCheckResult(int Rank, bool Passed, string Backend, string NcclVersion, double AllReduceMilliseconds, double? StallFailedAfterSeconds, string Detail);

/// <summary>
/// The GPU check of the NCCL group, one process per rank (on one GPU, give each process its own NCCL_HOSTID and set
/// NCCL_SOCKET_IFNAME=lo NCCL_NET=Socket: NCCL refuses two ranks of one communicator on the same device otherwise).
/// Forms the group as a job does (explicit nccl, so a missing NCCL fails), checks sum, average, broadcast and barrier
/// results, times the all-reduce, then lets rank 0 call once with no partner: the timeout must abort and throw.
/// </summary>
public static class NcclSelfCheck
{
    public static NcclSelfCheckResult Run(int rank, int worldSize, IReadOnlyList<string> endpoints, string token,
        int deviceIndex = 0, int elements = 1 << 22, double timeoutSeconds = 5, bool stall = true)
    {
        string backend = "none", version = "?";
        double milliseconds = 0;
        double? stalled = null;
        try
        {
            if (endpoints.Count != worldSize) throw new ArgumentException($"{endpoints.Count} endpoints for world size {worldSize}.", nameof(endpoints));
            var device = new Device(DeviceType.CUDA, deviceIndex);
            var options = new RingOptions
            {
                Rank = rank,
                Endpoints = endpoints,
                Token = token,
                Group = "nccl-self-check",
                Timeout = TimeSpan.FromSeconds(timeoutSeconds),
                RendezvousTimeout = TimeSpan.FromMinutes(2),
            };
            using var group = CollectiveFactory.CreateAsync("nccl", device, options).GetAwaiter().GetResult();
            backend = group.GetType().Name;
            if (group is not NcclCollective nccl) throw new InvalidOperationException($"explicit nccl formed a {backend}");
            version = nccl.Version;
            using (var scope = NewDisposeScope())
            {
                float w = worldSize, mine = rank + 1;
                var t = empty(elements, ScalarType.Float32, device);
                using (var first = mine.ToScalar()) t.fill_(first);
                group.AllReduceSum(t);
                Expect(t, w * (w + 1) / 2, "AllReduceSum");
                using (var again = mine.ToScalar()) t.fill_(again);
                group.AllReduceAverage(t);
                Expect(t, (w + 1) / 2, "AllReduceAverage");
                using (var own = (rank * 10f + 7).ToScalar()) t.fill_(own);
                group.Broadcast(t, worldSize - 1);
                Expect(t, (worldSize - 1) * 10f + 7, "Broadcast");
                group.Barrier();
                const int Repeats = 10;
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < Repeats; i++) group.AllReduceSum(t);
                milliseconds = clock.Elapsed.TotalMilliseconds / Repeats;
            }
            if (stall) stalled = Stall(group, device, options.Timeout);
            return new(rank, true, backend, version, milliseconds, stalled,
                $"sum, average, broadcast and barrier correct over {worldSize} ranks, {elements} floats" + (stalled is null ? "" : $"; the stalled call failed after {stalled:0.0} s"));
        }
        catch (Exception e)
        {
            return new(rank, false, backend, version, milliseconds, stalled, $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Rank 0 all-reduces alone; the others keep their communicator open past its timeout, then leave.</summary>
    static double? Stall(ICollective group, Device device, TimeSpan timeout)
    {
        if (group.Rank != 0)
        {
            Thread.Sleep(timeout + TimeSpan.FromSeconds(3));
            return null;
        }
        using var scope = NewDisposeScope();
        var lonely = ones(1024, ScalarType.Float32, device);
        var clock = Stopwatch.StartNew();
        try
        {
            group.AllReduceSum(lonely);
        }
        catch (CollectiveException e)
        {
            var seconds = clock.Elapsed.TotalSeconds;
            if (seconds > timeout.TotalSeconds + 5) throw new InvalidOperationException($"the stalled call failed only after {seconds:0.0} s (timeout {timeout.TotalSeconds} s): {e.Message}");
            return seconds;
        }
        throw new InvalidOperationException("an all-reduce with no partner returned instead of failing");
    }

    static void Expect(Tensor t, float value, string operation)
    {
        using var expected = value.ToScalar();
        if (!t.eq(expected).all().item<bool>())
            throw new InvalidOperationException($"{operation}: every element should be {value}; found {t.min().item<float>()} to {t.max().item<float>()}");
    }
}
