using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;

namespace FineTune.AppHost.Tests.Otlp;

/// <summary>
/// A minimal OTLP/HTTP (http/protobuf) collector: accepts POSTs to /v1/metrics, /v1/traces and /v1/logs and decodes
/// them with the test's own OTLP schema (otlp.proto), so tests assert on metric names, data point attributes, span
/// parent links and log attributes as exported, not on bytes that happen to occur somewhere in a payload.
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    readonly HttpListener listener = new();
    readonly ConcurrentQueue<MetricPoint> metrics = new();
    readonly ConcurrentQueue<SpanRecord> spans = new();
    readonly ConcurrentQueue<LogRecordData> logs = new();
    readonly ConcurrentQueue<string> errors = new();
    readonly ConcurrentDictionary<string, int> payloads = new();

    /// <param name="forward">Whether to send each accepted payload on (to the dashboard: <see cref="OtlpForwarder.SendTo"/>).</param>
    public OtlpReceiver(bool forward = false)
    {
        Forwarder = forward ? new OtlpForwarder() : null;
        Port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        _ = Task.Run(Serve);
    }

    public int Port { get; }
    public OtlpForwarder? Forwarder { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<MetricPoint> Metrics => [.. metrics];
    public IReadOnlyList<SpanRecord> Spans => [.. spans];
    public IReadOnlyList<LogRecordData> Logs => [.. logs];

    /// <summary>Payloads that did not decode (or came to an unknown path): a test fails on any.</summary>
    public IReadOnlyList<string> Errors => [.. errors];

    public int Count(string path) => payloads.GetValueOrDefault(path);

    async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception) { return; } // stopped
            var path = context.Request.Url!.AbsolutePath;
            using var body = new MemoryStream();
            var input = context.Request.Headers["Content-Encoding"] == "gzip" ? new GZipStream(context.Request.InputStream, CompressionMode.Decompress) : context.Request.InputStream;
            await input.CopyToAsync(body);
            payloads.AddOrUpdate(path, 1, (_, n) => n + 1);
            Decode(path, body.ToArray());
            Forwarder?.Enqueue(path, body.ToArray(), context.Request.ContentType, context.Request.Headers["x-otlp-api-key"]);
            context.Response.StatusCode = 200; // an empty Export*ServiceResponse: everything accepted
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    void Decode(string path, byte[] body)
    {
        try
        {
            switch (path)
            {
                case "/v1/metrics": foreach (var m in OtlpDecoder.Metrics(body)) metrics.Enqueue(m); break;
                case "/v1/traces": foreach (var s in OtlpDecoder.Spans(body)) spans.Enqueue(s); break;
                case "/v1/logs": foreach (var l in OtlpDecoder.Logs(body)) logs.Enqueue(l); break;
                default: errors.Enqueue($"POST to unknown path {path} ({body.Length} bytes)"); break;
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            errors.Enqueue($"{path}: {body.Length} bytes do not decode: {e.Message}");
        }
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        listener.Close();
        Forwarder?.Dispose();
    }
}
