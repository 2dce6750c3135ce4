using FineTune.Coordinator.Jobs;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FineTune.Coordinator.Health;

/// <summary>
/// Readiness: the job store has loaded every job.json (taking it from the container constructs it; a store that fails
/// to load fails this check), so the coordinator can answer the Jobs API and take workers back.
/// </summary>
public sealed class JobStoreReady(JobStore jobs) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy($"{jobs.All().Count} jobs loaded"));
}
