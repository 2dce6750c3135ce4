using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;

namespace FineTune.AppHost.Dashboard;

/// <summary>
/// Serves the downloaded job folders (DATA_DIR/downloads/JOB_ID/...) on loopback, so a job row's report links to its
/// plots: the coordinator's endpoints speak HTTP/2 (gRPC) only and gain nothing. GET only, files under the folder only.
/// </summary>
public sealed class DownloadsServer(string root) : BackgroundService
{
    readonly HttpListener listener = new();

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>http://127.0.0.1:PORT/: JOB_ID/report.md, JOB_ID/loss.png, ...</summary>
    public Uri Address { get; } = new($"http://127.0.0.1:{FreePort()}/");

    /// <summary>The URL of a job's downloaded folder.</summary>
    public Uri Folder(string jobId) => new(Address, Uri.EscapeDataString(jobId) + "/");

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        listener.Prefixes.Add(Address.AbsoluteUri);
        listener.Start();
        using var _ = stop.Register(listener.Stop);
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            await Serve(context);
        }
    }

    async Task Serve(HttpListenerContext context)
    {
        using var response = context.Response;
        var relative = Uri.UnescapeDataString(context.Request.Url?.AbsolutePath.TrimStart('/') ?? "");
        var path = Path.GetFullPath(Path.Combine(Root, relative));
        if (context.Request.HttpMethod != "GET" || !path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            response.StatusCode = (int)HttpStatusCode.NotFound;
            return;
        }
        response.ContentType = Path.GetExtension(path) switch
        {
            ".png" => "image/png",
            ".md" => "text/markdown; charset=utf-8",
            ".json" => "application/json",
            _ => "application/octet-stream",
        };
        await using var file = File.OpenRead(path);
        response.ContentLength64 = file.Length;
        await file.CopyToAsync(response.OutputStream);
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public override void Dispose()
    {
        listener.Close();
        base.Dispose();
    }
}
