using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace FineTune.Core.Tests.Telemetry;

/// <summary>
/// The calls left out of the traces (docs/telemetry.md): the list itself, and the services' real OpenTelemetry setup,
/// whose HttpClient and ASP.NET Core spans must both honour it.
/// </summary>
public class UntracedCallsTests
{
    [Theory]
    [InlineData("/finetune.v1.Cluster/FetchBlob")]
    [InlineData("/finetune.v1.Cluster/FetchShard")]
    [InlineData("/finetune.v1.Cluster/UploadResult")]
    [InlineData("/finetune.v1.Cluster/Heartbeat")]
    [InlineData("/finetune.v1.Cluster/Report")]
    [InlineData("/health")]
    [InlineData("/alive")]
    public void Transfers_heartbeats_and_probes_are_not_traced(string path) => Assert.True(UntracedCalls.Matches(path));

    [Theory]
    [InlineData("/finetune.v1.Jobs/Submit")]
    [InlineData("/finetune.v1.Jobs/GetJob")]
    [InlineData("/finetune.v1.Jobs/ListJobs")]
    [InlineData("/finetune.v1.Jobs/WatchJob")]
    [InlineData("/finetune.v1.Jobs/Upload")] // a user's dataset upload: its own trace, and "UploadResult" must not match it
    [InlineData("/finetune.v1.Cluster/Register")]
    [InlineData("/")]
    [InlineData(null)]
    public void The_calls_users_make_are_traced(string? path) => Assert.False(UntracedCalls.Matches(path));

    [Fact]
    public async Task The_services_setup_traces_a_jobs_call_but_neither_side_of_a_transfer()
    {
        var collector = new Collector();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.ConfigureOpenTelemetry(); // what AddServiceDefaults sets up, without an exporter (no OTLP endpoint)
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(collector));
        await using var app = builder.Build();
        app.MapPost("/finetune.v1.{service}/{method}", () => Results.Ok());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        using (var http = new HttpClient { BaseAddress = new Uri(address) })
            foreach (var method in new[] { "Cluster/FetchShard", "Cluster/FetchBlob", "Cluster/UploadResult", "Jobs/GetJob" })
                (await http.PostAsync($"/finetune.v1.{method}", null)).EnsureSuccessStatusCode();
        // The server span ends after the response: wait for both sides of the traced call.
        for (int i = 0; i < 50 && collector.Paths(ActivityKind.Server).Count + collector.Paths(ActivityKind.Client).Count < 2; i++) await Task.Delay(100);
        await app.StopAsync();

        Assert.Equal(["/finetune.v1.Jobs/GetJob"], collector.Paths(ActivityKind.Server));
        Assert.Equal(["/finetune.v1.Jobs/GetJob"], collector.Paths(ActivityKind.Client));
    }

    /// <summary>The spans an exporter would get: ended, recorded, of this test's paths.</summary>
    sealed class Collector : BaseProcessor<Activity>
    {
        readonly ConcurrentQueue<Activity> ended = new();

        public override void OnEnd(Activity data)
        {
            if (data.Recorded) ended.Enqueue(data);
        }

        public List<string> Paths(ActivityKind kind) => [.. ended.Where(a => a.Kind == kind)
            .Select(a => a.GetTagItem("url.path") as string ?? new Uri(a.GetTagItem("url.full") as string ?? "http://x/").AbsolutePath)
            .Where(p => p.StartsWith("/finetune.v1.", StringComparison.Ordinal))];
    }
}
