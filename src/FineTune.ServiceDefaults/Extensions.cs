using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Aspire's service defaults for the coordinator and the workers: OpenTelemetry logs, metrics and traces (the
/// FineTune meter and activity source included) exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, health
/// endpoints, service discovery, and resilience for HttpClient-factory clients.
/// </summary>
public static class Extensions
{
    /// <summary>The FineTune.Core Meter and ActivitySource name (FineTune.Core.Telemetry.FineTuneTelemetry.Name).</summary>
    public const string FineTuneSource = "FineTune";

    internal const string HealthPath = "/health";
    internal const string AlivePath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        // Only clients made by IHttpClientFactory get these; the gRPC channels are built directly, so the standard
        // handler's 10 s attempt timeout never cuts a long gRPC stream (blob downloads, job watches).
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // The resilience handler logs every attempt of every HttpClient call (the OTLP exports included) at Information:
        // keep its retries and failures only, or each export would log a line that is exported in turn.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true; // job id and rank travel as log scopes
        });
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(FineTuneSource))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(FineTuneSource)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !UntracedCalls.Matches(context.Request.Path.Value))
                .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = request => !UntracedCalls.Matches(request.RequestUri?.AbsolutePath)));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>/health: every check passes (ready); /alive: the process answers (live).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath);
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        return app;
    }
}
