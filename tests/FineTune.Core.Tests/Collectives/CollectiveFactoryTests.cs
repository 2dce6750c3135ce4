using FineTune.Core.Arguments;
using FineTune.Core.Collectives;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Collectives;

/// <summary>The process group chosen by name: none at world size 1, the ring on CPU, nccl refused in this build.</summary>
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
    public void Auto_is_the_ring_on_cpu_and_nccl_on_cuda()
    {
        Assert.Equal("ring", CollectiveFactory.Backend("auto", CPU));
        Assert.Equal("nccl", CollectiveFactory.Backend("auto", new Device("cuda:0")));
        Assert.Equal("ring", CollectiveFactory.Backend("ring", new Device("cuda:0")));
    }

    [Fact]
    public async Task A_backend_this_build_lacks_is_refused_before_any_socket()
    {
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => CollectiveFactory.CreateAsync("auto", new Device("cuda:0"), Ring("127.0.0.1:1", "127.0.0.1:2"),
            () => throw new InvalidOperationException("no socket for a refused backend")));
        Assert.Contains("nccl needs the GPU build", e.Message);
    }

    [Fact]
    public async Task Two_ranks_on_cpu_form_the_ring()
    {
        using var l0 = RingCollective.Listen("127.0.0.1:0");
        using var l1 = RingCollective.Listen("127.0.0.1:0");
        string[] endpoints = [l0.LocalEndPoint!.ToString()!, l1.LocalEndPoint!.ToString()!];
        var r0 = CollectiveFactory.CreateAsync("auto", CPU, Ring(endpoints), () => l0);
        var r1 = CollectiveFactory.CreateAsync("ring", CPU, Ring(endpoints) with { Rank = 1 }, () => l1);
        using var g0 = await r0;
        using var g1 = await r1;
        Assert.IsType<RingCollective>(g0);
        Assert.Equal((1, 2), (g1.Rank, g1.WorldSize));
    }

    [Theory]
    [InlineData("nccl", "--collective (collective): nccl needs the GPU build")]
    [InlineData("mpi", "--collective (collective): unknown collective 'mpi' (choose auto or ring)")]
    public void The_job_option_is_checked_with_the_others(string value, string message)
    {
        var a = new TrainingArguments();
        ArgumentTable.Apply(a, "collective", value, "collective");
        Assert.Contains(message, Assert.Throws<InvalidInputException>(a.Validate).Message);
        ArgumentTable.Apply(a, "collective", "ring", "collective");
        Assert.Empty(a.Problems());
    }
}
