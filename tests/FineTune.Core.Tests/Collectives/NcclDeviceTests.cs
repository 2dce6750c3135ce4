using FineTune.Core.Collectives;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>
/// The real NCCL path (libnccl.so.2 by P/Invoke, CUDA tensors). Skipped, with the reason, where CUDA or NCCL is
/// missing; where only NCCL is missing, the self check must say so on every rank.
/// </summary>
public class NcclDeviceTests
{
    static string? Missing()
    {
        if (!cuda.is_available()) return "no CUDA device (torch.cuda.is_available() is false: CPU libtorch or no GPU)";
        return NcclLibrary.Shared.Problem();
    }

    [SkippableFact]
    public void A_one_rank_nccl_group_runs_every_call_on_the_gpu()
    {
        var missing = Missing();
        Skip.If(missing is not null, missing);
        var nccl = NcclLibrary.Shared;
        Assert.Equal(NcclResult.Success, nccl.GetUniqueId(out var id));
        var options = RingHarness.Options(0, ["127.0.0.1:1"]);
        var device = new Device("cuda:0");
        using var group = NcclBootstrap.InitAsync(nccl, id, options, device, CancellationToken.None).GetAwaiter().GetResult();
        using var scope = NewDisposeScope();
        var t = arange(1000, ScalarType.Float32, device);
        var expected = t.cpu().data<float>().ToArray();
        group.AllReduceSum(t);
        group.AllReduceAverage(t);
        group.Broadcast(t, 0);
        group.Barrier();
        Assert.Equal(expected, t.cpu().data<float>().ToArray());
    }

    [SkippableFact]
    public void Two_ranks_on_two_gpus_pass_the_self_check()
    {
        var missing = Missing();
        Skip.If(missing is not null, missing);
        Skip.If(cuda.device_count() < 2, $"{cuda.device_count()} CUDA device: NCCL refuses two ranks of one process on one GPU (tests/gpu runs one process per rank)");
        var endpoints = FreeEndpoints(2);
        var token = RingHarness.NewJob();
        var results = new NcclSelfCheckResult[2];
        RingHarness.ThrowAny(RingHarness.OnRanks(2, r => results[r] = NcclSelfCheck.Run(r, 2, endpoints, token, deviceIndex: r, elements: 1 << 20), limitSeconds: 180));
        Assert.All(results, result => Assert.True(result.Passed, result.Detail));
        Assert.NotNull(results[0].StallFailedAfterSeconds);
    }

    [SkippableFact]
    public void Without_nccl_the_self_check_fails_on_every_rank_naming_the_library()
    {
        var problem = NcclLibrary.Shared.Problem();
        Skip.If(problem is null, "NCCL loads here: the check that names it missing does not apply");
        var endpoints = FreeEndpoints(2);
        var token = RingHarness.NewJob();
        var results = new NcclSelfCheckResult[2];
        RingHarness.ThrowAny(RingHarness.OnRanks(2, r => results[r] = NcclSelfCheck.Run(r, 2, endpoints, token)));
        Assert.All(results, result => Assert.False(result.Passed));
        Assert.Contains("--collective (collective) nccl: rank 0 cannot use NCCL", results[0].Detail);
        Assert.Contains(problem, results[1].Detail);
    }

    /// <summary>Ports the kernel picked, released for the self check to bind (it listens itself, as a separate process would).</summary>
    static string[] FreeEndpoints(int n)
    {
        var (listeners, endpoints) = RingHarness.Listen(n);
        foreach (var l in listeners) l.Dispose();
        return endpoints;
    }
}
