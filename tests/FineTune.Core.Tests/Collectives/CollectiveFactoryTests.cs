using FineTune.Core.Arguments;
using FineTune.Core.Collectives;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>The process group chosen by name: none at world size 1, the ring on CPU, nccl refused for CPU training.</summary>
public class CollectiveFactoryTests
{
    static RingOptions Ring(params string[] endpoints) => new() { Rank = 0, Endpoints = endpoints, Token = "t", Timeout = TimeSpan.FromSeconds(5) };

    [Theory]
    [InlineData("auto")]
    [InlineData("ring")]
    public async Task World_size_1_needs_no_group(string name)
    {
        using var group = await CollectiveFactory.CreateAsync(name, CPU, Ring("127.0.0.1:1"), () => throw new InvalidOperationException("no socket at world size 1"));
        Assert.IsType<SingleProcess>(group);
        Assert.Equal((0, 1), (group.Rank, group.WorldSize));
    }

    [Fact]
    public async Task Nccl_for_cpu_training_is_refused_before_any_socket()
    {
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => CollectiveFactory.CreateAsync("nccl", CPU, Ring("127.0.0.1:1", "127.0.0.1:2"),
            () => throw new InvalidOperationException("no socket for a refused backend")));
        Assert.Equal("--collective (collective) nccl: nccl needs CUDA devices (the job trains on --device cpu): choose auto or ring", e.Message);
    }

    [Theory]
    [InlineData("auto")] // every rank on the CPU: the ranks agree on the ring
    [InlineData("ring")]
    public async Task Two_ranks_on_cpu_form_the_ring(string name)
    {
        using var l0 = RingCollective.Listen("127.0.0.1:0");
        using var l1 = RingCollective.Listen("127.0.0.1:0");
        string[] endpoints = [l0.LocalEndPoint!.ToString()!, l1.LocalEndPoint!.ToString()!];
        var r0 = CollectiveFactory.CreateAsync(name, CPU, Ring(endpoints), () => l0);
        var r1 = CollectiveFactory.CreateAsync(name, CPU, Ring(endpoints) with { Rank = 1 }, () => l1);
        using var g0 = await r0;
        using var g1 = await r1;
        Assert.IsType<RingCollective>(g0);
        Assert.Equal((1, 2), (g1.Rank, g1.WorldSize));
    }

    [Theory]
    [InlineData("nccl", "cpu", "--collective (collective): nccl needs CUDA devices (the job trains on --device cpu): choose auto or ring")]
    [InlineData("mpi", "auto", "--collective (collective): unknown collective 'mpi' (choose auto, ring, nccl)")]
    public void The_job_option_is_checked_with_the_others(string value, string device, string message)
    {
        var a = new TrainingArguments();
        a = ArgumentTable.Apply(a, "device", device, "device");
        a = ArgumentTable.Apply(a, "collective", value, "collective");
        Assert.Contains(message, Assert.Throws<InvalidInputException>(a.Validate).Message);
        a = ArgumentTable.Apply(a, "collective", "ring", "collective");
        Assert.Empty(a.Problems());
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    public void Nccl_is_accepted_for_jobs_that_may_run_on_cuda(string device)
    {
        var a = new TrainingArguments();
        a = ArgumentTable.Apply(a, "device", device, "device");
        a = ArgumentTable.Apply(a, "collective", "nccl", "collective");
        Assert.Empty(a.Problems());
    }
}
