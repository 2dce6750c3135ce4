using Grpc.AspNetCore.HealthChecks;

namespace FineTune.Coordinator.Health;

/// <summary>
/// The standard gRPC health service (grpc.health.v1.Health) over the ASP.NET health checks, for Kubernetes grpc probes:
/// the coordinator speaks HTTP/2 only, so kubelet's httpGet probes cannot reach /health. Services: "liveness" (the
/// process serves: the checks tagged live), "readiness" and "" (every check, the job store loaded among them). It
/// carries no API key and no join token, as kubelet sends no metadata: the interceptors guard only the Jobs and
/// Cluster services, and the health answers say nothing about jobs.
/// </summary>
public static class GrpcHealth
{
    public const string Liveness = "liveness";
    public const string Readiness = "readiness";

    public static IServiceCollection AddCoordinatorHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<JobStoreReady>("job-store", tags: [JobStoreReady.Tag]);
        services.AddGrpcHealthChecks(o =>
        {
            o.Services.Clear();
            o.Services.Map("", _ => true);
            o.Services.Map(Readiness, _ => true);
            o.Services.Map(Liveness, check => check.Tags.Contains("live"));
        });
        return services;
    }
}
