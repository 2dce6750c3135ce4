using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core.Tests.Training;
using Grpc.Core;
using Grpc.Net.Client;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>Register and Submit carry the protocol and product versions; a different protocol is refused naming both.</summary>
[Collection(TorchGlobalState.Name)]
public class VersionTests
{
    [Fact]
    public void The_same_protocol_or_none_is_accepted_and_another_is_refused_naming_both()
    {
        Assert.Null(Versions.Mismatch("worker", Versions.Protocol, "9.9.9"));
        Assert.Null(Versions.Mismatch("worker", 0, "")); // an older or third-party peer that does not say
        var newer = Versions.Mismatch("worker", Versions.Protocol + 1, "9.0.0");
        Assert.Equal($"worker protocol {Versions.Protocol + 1}, coordinator protocol {Versions.Protocol} (product 9.0.0 vs {Versions.Product}): upgrade the coordinator so that both speak the same protocol", newer);
        Assert.DoesNotContain("+", Versions.Product);
    }

    [Fact]
    public void A_real_coordinator_refuses_a_worker_and_a_client_of_another_protocol()
    {
        using var c = new ClusterProcesses(workers: 0);
        using var channel = GrpcChannel.ForAddress(c.Url);
        var register = new RegisterRequest { Name = "future", RingEndpoint = "127.0.0.1:1", ProtocolVersion = 99, ProductVersion = "9.0.0" };
        var e = Assert.Throws<RpcException>(() => new FineTune.Contracts.V1.Cluster.ClusterClient(channel).Register(register));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains($"worker protocol 99, coordinator protocol {Versions.Protocol} (product 9.0.0 vs {Versions.Product})", e.Status.Detail);
        e = Assert.Throws<RpcException>(() => new Jobs.JobsClient(channel).Submit(new SubmitJobRequest { ProtocolVersion = 99 }));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("client protocol 99", e.Status.Detail);
        register.ProtocolVersion = 0; // an older worker: accepted
        Assert.NotEmpty(new FineTune.Contracts.V1.Cluster.ClusterClient(channel).Register(register).WorkerId);
    }
}
