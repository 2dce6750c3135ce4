using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using FineTune.AppHost.Tests.Otlp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FineTune.AppHost.Tests;

/// <summary>
/// The whole AppHost, started once for the collection: the dashboard, coordinator, 2 workers and the demo submission,
/// with every service exporting its telemetry over OTLP/HTTP to an in-test receiver that forwards it to the dashboard.
/// State goes to a temporary folder; the coordinator to a free port and the dashboard to random ones (5100 and 18888 may
/// be taken on a build machine, or by a developer's own `dotnet run`).
/// </summary>
public sealed class AspireAppFixture : IAsyncLifetime
{
    // About 10 minutes on 2 idle cores; 15 ran out at step 140 of 150 while another cluster trained on the same 2 cores.
    public static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(25);

    readonly string dataDir = Path.Combine(Path.GetTempPath(), $"finetune-apphost-test-{Guid.NewGuid():N}");
    Task<int?>? demoExit;

    public OtlpReceiver Otlp { get; } = new(forward: true);
    public int CoordinatorPort { get; } = FreePort();
    public DistributedApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The testing builder turns the dashboard off; this turns it on as `dotnet run --project AppHost` runs it (the
        // AppHost's launch profile, its auth settings included), only on loopback instead of localhost:18888-18891. The
        // testing builder's DcpPublisher:RandomizePorts gives these proxied endpoints random ports all the same: their
        // addresses are read back from the app once it runs. (DistributedApplicationTestingBuilderOptions.EnableDashboard
        // would force browser-token and API-key auth and turn interactivity off: a dashboard without the banners users see.)
        string[] dashboard = [$"ASPNETCORE_URLS=http://127.0.0.1:{FreePort()}",
            $"ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://127.0.0.1:{FreePort()}",
            $"ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{FreePort()}", "ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:0"];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--DataDir", dataDir, "--CoordinatorPort", CoordinatorPort.ToString(), "--Workers", "2", .. dashboard],
            (options, _) => options.DisableDashboard = false);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
            builder.CreateResourceBuilder(project)
                .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", Otlp.Endpoint)
                .WithEnvironment("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "1000")
                .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "1000");
        App = await builder.BuildAsync();
        using var start = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await App.StartAsync(start.Token);
        Otlp.Forwarder!.SendTo(App.GetEndpoint("aspire-dashboard", "otlp-http"));
        await App.ResourceNotifications.WaitForResourceHealthyAsync("coordinator", start.Token);
        demoExit = WaitForDemo();
    }

    /// <summary>The dashboard's address to open in a browser (its /login?t= URL when it wants a browser token).</summary>
    public async Task<Uri> DashboardUrl()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await App.GetDashboardUrlAsync(timeout.Token);
    }

    /// <summary>The dashboard's own address, without a login token.</summary>
    public Uri DashboardBase => App.GetEndpoint("aspire-dashboard", "http");

    /// <summary>The AppHost's configuration (the dashboard's keys and tokens, where it has them).</summary>
    public string? Setting(string key) => App.Services.GetRequiredService<IConfiguration>()[key];

    /// <summary>The demo resource's exit code once `finetune submit --workers 2 --wait` ends.</summary>
    public Task<int?> DemoExit => demoExit ?? throw new InvalidOperationException("the app did not start");

    async Task<int?> WaitForDemo()
    {
        using var timeout = new CancellationTokenSource(JobTimeout);
        var finished = await App.ResourceNotifications.WaitForResourceAsync("demo",
            e => e.Snapshot.State?.Text is "Finished" or "Exited" or "FailedToStart", timeout.Token);
        return finished.Snapshot.ExitCode;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Otlp.Dispose();
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } // a process may still hold a file briefly
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
