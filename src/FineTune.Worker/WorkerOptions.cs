using System.Net;
using FineTune.Core.Arguments;
using FineTune.ServiceDefaults;

namespace FineTune.Worker;

/// <summary>
/// --coordinator, --name, --device, --threads, --ring-host, --ring-port, --ring-advertise, --data-dir, --join-token, --drain-timeout
/// (command line, or the FineTune section: FineTune:ring-port or FineTune:RingPort; see docs/services.md). The ring
/// listens on RingListen; peers are told RingEndpoint, which differs behind NAT, a container port mapping or a proxy
/// (--ring-advertise HOST:PORT).
/// </summary>
public sealed record WorkerOptions(string Coordinator, string Name, string Device, int Threads, string RingEndpoint, string DataDir)
{
    public string RingListen { get; init; } = RingEndpoint;

    /// <summary>The cluster's join token, sent on every call to the coordinator (--join-token, FineTune:JoinToken, FINETUNE_JOIN_TOKEN); never logged.</summary>
    public string? JoinToken { get; init; }

    /// <summary>
    /// --drain-timeout: how long a worker that got SIGTERM may take to stop its rank with the group (rank 0 saves and
    /// uploads a checkpoint) and leave; the host's shutdown timeout is this plus a margin, and a pod's
    /// terminationGracePeriodSeconds must exceed both.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = DefaultDrainTimeout;

    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Every setting, checked: a bad value throws <see cref="SettingsException"/> naming the option, and the worker does not start.</summary>
    public static WorkerOptions From(IConfiguration c)
    {
        var s = new ServiceSettings(c);
        var coordinator = s.String("coordinator", "FINETUNE_COORDINATOR") ?? "http://127.0.0.1:5100";
        if (!Uri.TryCreate(coordinator, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new SettingsException($"--coordinator {coordinator}: must be an http:// or https:// URL");
        var name = s.String("name", "WorkerName") ?? $"worker-{Environment.ProcessId}";
        var device = s.Choice("device", DeviceNames.Cpu, [DeviceNames.Cpu, DeviceNames.Cuda], DeviceNames.IsName, "cuda:N");
        if (DeviceChoice.Unavailable(device) is { } why) throw new SettingsException($"--device {device}: {why}");
        var threads = s.Int("threads", Environment.ProcessorCount, min: 1);
        var host = s.String("ring-host") ?? "127.0.0.1";
        int port = s.Port("ring-port") ?? (IPAddress.TryParse(host, out var ip) ? RingPort.Pick(ip)
            : throw new SettingsException($"--ring-host {host}: a host name needs --ring-port (a free port is picked only on an IP address)"));
        var listen = $"{host}:{port}";
        var dataDir = s.String("data-dir") ?? Path.Combine(Path.GetTempPath(), "finetune-worker", name);
        return new WorkerOptions(coordinator, name, device, threads, s.String("ring-advertise") ?? listen, dataDir)
        {
            RingListen = listen,
            JoinToken = s.String("join-token", "FINETUNE_JOIN_TOKEN"),
            DrainTimeout = s.Seconds("drain-timeout", DefaultDrainTimeout),
        };
    }
}
