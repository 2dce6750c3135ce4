using System.Net;

namespace FineTune.Coordinator.Security;

/// <summary>
/// Whether the coordinator is reachable from beyond this machine: any address that is not loopback (0.0.0.0, *, a
/// host name, a LAN address) counts, because then anyone on the network could submit jobs or pose as a worker.
/// </summary>
public static class ListenAddresses
{
    /// <summary>The URLs the configuration asks Kestrel to bind: --urls / ASPNETCORE_URLS, HTTP(S)_PORTS, Kestrel:Endpoints.</summary>
    public static IReadOnlyList<string> Configured(IConfiguration c)
    {
        var urls = new List<string>();
        if (c["urls"] is { Length: > 0 } list) urls.AddRange(list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        // Bare ports bind every interface.
        foreach (var (key, scheme) in new[] { ("http_ports", "http"), ("https_ports", "https") })
            if (c[key] is { Length: > 0 } ports)
                urls.AddRange(ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"{scheme}://*:{p}"));
        foreach (var endpoint in c.GetSection("Kestrel:Endpoints").GetChildren())
            if (endpoint["Url"] is { Length: > 0 } url) urls.Add(url);
        return urls;
    }

    /// <summary>The first of <paramref name="urls"/> that is reachable beyond loopback, or null when all are loopback.</summary>
    public static string? BeyondLoopback(IEnumerable<string> urls) => urls.FirstOrDefault(u => !IsLoopback(u));

    public static bool IsLoopback(string url)
    {
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        var slash = rest.IndexOf('/');
        if (slash >= 0) rest = rest[..slash];
        string host;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            host = close > 0 ? rest[1..close] : rest;
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            host = colon >= 0 ? rest[..colon] : rest;
        }
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }
}
