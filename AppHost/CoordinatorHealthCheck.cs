using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FineTune.AppHost;

/// <summary>
/// The coordinator serves cleartext HTTP/2 only (gRPC, h2c), which Aspire's HTTP/1.1 health probe cannot speak:
/// this check asks its /health endpoint over HTTP/2 with prior knowledge.
/// </summary>
public sealed class CoordinatorHealthCheck(Uri health) : IHealthCheck
{
    static readonly HttpClient Http = new() { DefaultRequestVersion = new Version(2, 0), DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = TimeSpan.FromSeconds(5) };

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancel = default)
    {
        try
        {
            using var response = await Http.GetAsync(health, cancel);
            return response.IsSuccessStatusCode ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"{health}: HTTP {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{health}: {e.Message}");
        }
    }

    /// <summary>Registers the check with the AppHost and returns its name, for WithHealthCheck.</summary>
    public static string Register(IDistributedApplicationBuilder builder, int port)
    {
        const string name = "coordinator-health";
        builder.Services.AddHealthChecks().AddCheck(name, new CoordinatorHealthCheck(new Uri($"http://127.0.0.1:{port}/health")));
        return name;
    }
}
