using System.Reflection;

namespace FineTune.Contracts;

/// <summary>
/// What the CLI and the workers say about themselves in Submit and Register, and what the coordinator checks. The
/// protocol is the wire contract's version: raise it when a change breaks older peers (a new required field, a
/// changed meaning), not for added optional fields. The product version is for people reading the refusal.
/// </summary>
public static class Versions
{
    /// <summary>This build's wire protocol: the one the protos define (jobs.proto, ProtocolVersion).</summary>
    public const int Protocol = (int)V1.ProtocolVersion.Current;

    /// <summary>This build's product version (the assembly's informational version without its +commit suffix).</summary>
    public static string Product { get; } = ProductOf(typeof(Versions).Assembly);

    internal static string ProductOf(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        return version.Split('+')[0];
    }

    /// <summary>
    /// Null when a peer (a "worker" or a "client") speaking <paramref name="protocol"/> can talk to this coordinator;
    /// else the refusal naming both versions. Protocol 0 (unset: an older or third-party peer) is accepted.
    /// </summary>
    public static string? Mismatch(string peer, int protocol, string product)
    {
        if (protocol == 0 || protocol == Protocol) return null;
        var older = protocol < Protocol ? peer : "coordinator";
        return $"{peer} protocol {protocol}, coordinator protocol {Protocol} (product {(product.Length > 0 ? product : "unknown")} vs {Product}): "
            + $"upgrade the {older} so that both speak the same protocol";
    }
}
