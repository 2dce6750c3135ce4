using System.Net;
using System.Net.Sockets;

namespace FineTune.Worker;

/// <summary>
/// --coordinator, --name, --device, --threads, --ring-host, --ring-port, --ring-advertise, --data-dir, --join-token
/// (command line or FineTune__... settings). The ring listens on RingListen; peers are told RingEndpoint, which differs
/// behind NAT, a container port mapping or a proxy (--ring-advertise HOST:PORT).
/// </summary>
public sealed record WorkerOptions(string Coordinator, string Name, string Device, int Threads, string RingEndpoint, string DataDir)
{
    public string RingListen { get; init; } = RingEndpoint;

    /// <summary>The cluster's join token, sent on every call to the coordinator (--join-token, FineTune:JoinToken, FINETUNE_JOIN_TOKEN); never logged.</summary>
    public string? JoinToken { get; init; }

    public static WorkerOptions From(IConfiguration c)
    {
        var coordinator = c["coordinator"] ?? c["FineTune:Coordinator"] ?? Environment.GetEnvironmentVariable("FINETUNE_COORDINATOR") ?? "http://127.0.0.1:5100";
        var name = c["name"] ?? c["FineTune:WorkerName"] ?? $"worker-{Environment.ProcessId}";
        var device = c["device"] ?? "cpu";
        if (device != "cpu") throw new ArgumentException($"--device {device}: this build trains on CPU only (CUDA support comes with the GPU work)");
        var threads = int.TryParse(c["threads"], out var t) && t > 0 ? t : Environment.ProcessorCount;
        var host = c["ring-host"] ?? "127.0.0.1";
        int port = c["ring-port"] is string p ? int.TryParse(p, out var n) && n is > 0 and < 65536 ? n : throw new ArgumentException($"--ring-port {p}: not a port number") : FreePort(host);
        var listen = $"{host}:{port}";
        var dataDir = c["data-dir"] ?? Path.Combine(Path.GetTempPath(), "finetune-worker", name);
        var token = c["join-token"] ?? c["FineTune:JoinToken"] ?? Environment.GetEnvironmentVariable("FINETUNE_JOIN_TOKEN");
        return new WorkerOptions(coordinator, name, device, threads, c["ring-advertise"] ?? listen, dataDir) { RingListen = listen, JoinToken = string.IsNullOrWhiteSpace(token) ? null : token.Trim() };
    }

    // The ring's data plane listens on this port for each job; chosen once at start and reported at registration.
    static int FreePort(string host)
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Parse(host), 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
