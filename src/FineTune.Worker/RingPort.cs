using System.Net;
using System.Net.Sockets;

namespace FineTune.Worker;

/// <summary>
/// The port the ring listens on for each job, chosen once at start and reported at registration. The ring binds it
/// anew for each job and lets it go when the ring has formed, so between jobs any socket could take it. Outgoing
/// connections take theirs from the kernel's ephemeral range (Linux: ip_local_port_range, usually 32768-60999), as
/// does binding port 0: so the port is picked below that range, where only an explicit bind can land.
/// </summary>
public static class RingPort
{
    const int Lowest = 10_000;
    const string EphemeralRange = "/proc/sys/net/ipv4/ip_local_port_range";

    public static int Pick(IPAddress host)
    {
        int below = EphemeralLow() ?? 0;
        if (below > Lowest + 1000)
        {
            int start = Random.Shared.Next(Lowest, below);
            for (int i = 0; i < below - Lowest; i++)
            {
                int port = Lowest + (start - Lowest + i) % (below - Lowest);
                if (TryBind(host, port)) return port;
            }
        }
        using var probe = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp); // elsewhere: any free port
        probe.Bind(new IPEndPoint(host, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>The low end of the kernel's ephemeral port range, where it can be read.</summary>
    public static int? EphemeralLow()
    {
        try
        {
            var parts = File.ReadAllText(EphemeralRange).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return parts.Length >= 1 && int.TryParse(parts[0], out var low) ? low : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    static bool TryBind(IPAddress host, int port)
    {
        using var probe = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(host, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
