using FineTune.Contracts.V1;
using FineTune.Core.Tests.Training;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// The coordinator's grpc.health.v1 service, as Kubernetes' grpc probe calls it: a plain client with no API key and no
/// join token (the probe sends no metadata) gets SERVING for liveness, readiness and the whole server, while the Jobs
/// API beside it still refuses the same keyless caller.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class CoordinatorHealthTests
{
    [Fact]
    public void Grpc_health_check_answers_serving_without_any_secret()
    {
        using var cluster = new ClusterProcesses(0, coordinatorArgs: ["--api-key", "key-" + Guid.NewGuid().ToString("N"), "--join-token", "join-" + Guid.NewGuid().ToString("N")]);
        using var channel = GrpcChannel.ForAddress(cluster.Url);
        var health = new Health.HealthClient(channel);
        foreach (var service in new[] { "", "liveness", "readiness" })
        {
            var reply = health.Check(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(10));
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
        }
        var unknown = Assert.Throws<RpcException>(() => health.Check(new HealthCheckRequest { Service = "no-such-service" }));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        var jobs = Assert.Throws<RpcException>(() => CoordinatorCalls.Jobs(channel).ListJobs(new ListJobsRequest()));
        Assert.Equal(StatusCode.Unauthenticated, jobs.StatusCode);
    }
}
