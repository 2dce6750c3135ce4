using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FineTune.AppHost.Tests;

/// <summary>
/// A minimal OTLP/HTTP (http/protobuf) collector: accepts POSTs to /v1/metrics, /v1/traces and /v1/logs and keeps
/// their bodies, so a test can look for instrument and span names in what the services really exported.
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    readonly HttpListener listener = new();
    readonly ConcurrentQueue<(string Path, byte[] Body)> received = new();

    public OtlpReceiver()
    {
        Port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        _ = Task.Run(Serve);
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>Whether any payload posted to the path (e.g. /v1/metrics) contains the text (names are plain UTF-8 in protobuf).</summary>
    public bool Contains(string path, string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        return received.Any(r => r.Path == path && r.Body.AsSpan().IndexOf(needle) >= 0);
    }

    public int Count(string path) => received.Count(r => r.Path == path);

    async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) { return; } // stopped
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            received.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
            context.Response.StatusCode = 200; // an empty Export*ServiceResponse: everything accepted
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose() => listener.Close();
}
