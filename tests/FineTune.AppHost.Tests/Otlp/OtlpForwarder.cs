using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Threading.Channels;

namespace FineTune.AppHost.Tests.Otlp;

/// <summary>
/// Sends every payload the in-test receiver accepted on to the dashboard's OTLP/HTTP endpoint, in order and as the
/// services sent it (body, content type, x-otlp-api-key header), so the dashboard shows the telemetry the tests assert
/// on while the receiver keeps its exact, decoded copy.
/// </summary>
public sealed class OtlpForwarder : IDisposable
{
    // The services start alongside the dashboard: a payload waits this long for it rather than being lost.
    static readonly TimeSpan DashboardWait = TimeSpan.FromSeconds(90);

    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };
    readonly TaskCompletionSource<Uri> target = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Channel<Payload> queue = Channel.CreateUnbounded<Payload>();
    readonly ConcurrentQueue<string> failures = new();
    readonly CancellationTokenSource stop = new();
    int forwarded;

    public OtlpForwarder() => _ = Task.Run(Pump);

    /// <summary>The dashboard's OTLP/HTTP address, known once the app has started (its ports are allocated then).</summary>
    public Uri? Target => target.Task.IsCompletedSuccessfully ? target.Task.Result : null;

    /// <summary>Starts sending, the payloads received so far first.</summary>
    public void SendTo(Uri dashboardOtlpHttp) => target.TrySetResult(dashboardOtlpHttp);

    /// <summary>Payloads the dashboard accepted (2xx).</summary>
    public int Forwarded => Volatile.Read(ref forwarded);

    /// <summary>Payloads the dashboard refused or never answered, one line each.</summary>
    public IReadOnlyList<string> Failures => [.. failures];

    public void Enqueue(string path, byte[] body, string? contentType, string? apiKey) =>
        queue.Writer.TryWrite(new Payload(path, body, contentType ?? "application/x-protobuf", apiKey));

    async Task Pump()
    {
        try
        {
            var to = await target.Task.WaitAsync(stop.Token);
            await foreach (var payload in queue.Reader.ReadAllAsync(stop.Token))
                await Send(to, payload);
        }
        catch (OperationCanceledException) { } // disposed
    }

    async Task Send(Uri to, Payload p)
    {
        var deadline = DateTime.UtcNow + DashboardWait;
        while (true)
        {
            string problem;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(to, p.Path)) { Content = new ByteArrayContent(p.Body) };
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(p.ContentType);
                if (p.ApiKey is not null) request.Headers.Add("x-otlp-api-key", p.ApiKey);
                using var response = await http.SendAsync(request, stop.Token);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref forwarded);
                    return;
                }
                problem = $"HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(stop.Token)}";
                if ((int)response.StatusCode < 500)
                {
                    failures.Enqueue($"{p.Path}: {problem}"); // a refusal (a wrong key, a bad body) does not heal by retrying
                    return;
                }
            }
            catch (HttpRequestException e) { problem = e.Message; } // the dashboard is not listening yet
            catch (TaskCanceledException e) when (!stop.IsCancellationRequested) { problem = e.Message; }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Enqueue($"{p.Path}: {e.GetType().Name}: {e.Message}"); // anything else would stop the pump silently
                return;
            }
            if (DateTime.UtcNow >= deadline)
            {
                failures.Enqueue($"{p.Path}: {problem} (for {DashboardWait.TotalSeconds} s)");
                return;
            }
            await Task.Delay(500, stop.Token);
        }
    }

    public void Dispose()
    {
        queue.Writer.TryComplete();
        stop.Cancel();
        http.Dispose();
    }

    sealed record Payload(string Path, byte[] Body, string ContentType, string? ApiKey);
}
