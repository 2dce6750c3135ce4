using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using FineTune.AppHost.Tests.Otlp;

namespace FineTune.AppHost.Tests;

/// <summary>
/// The whole AppHost, started once for the class: coordinator, 2 workers and the demo submission, with every service
/// exporting its telemetry over OTLP/HTTP to an in-test receiver. State goes to a temporary folder; the coordinator to
/// a free port (5100 may be taken on a build machine).
/// </summary>
public sealed class AspireAppFixture : IAsyncLifetime
{
    // About 10 minutes on 2 idle cores; 15 ran out at step 140 of 150 while another cluster trained on the same 2 cores.
    public static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(25);

    readonly string dataDir = Path.Combine(Path.GetTempPath(), $"finetune-apphost-test-{Guid.NewGuid():N}");
    Task<int?>? demoExit;

    public OtlpReceiver Otlp { get; } = new();
    public int CoordinatorPort { get; } = FreePort();
    public DistributedApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--DataDir", dataDir, "--CoordinatorPort", CoordinatorPort.ToString(), "--Workers", "2"]);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
            builder.CreateResourceBuilder(project)
                .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", Otlp.Endpoint)
                .WithEnvironment("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "1000")
                .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "1000");
        App = await builder.BuildAsync();
        using var start = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await App.StartAsync(start.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("coordinator", start.Token);
        demoExit = WaitForDemo();
    }

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
