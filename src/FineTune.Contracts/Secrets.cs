using System.Security.Cryptography;
using System.Text;

namespace FineTune.Contracts;

/// <summary>
/// The shared secrets on the wire: the Jobs API key and the workers' join token travel as gRPC metadata (on every
/// call), and every comparison takes the same time whatever the inputs, so a caller learns nothing from timing.
/// </summary>
public static class Secrets
{
    /// <summary>Metadata carrying the Jobs API key (<c>authorization: Bearer KEY</c> is accepted too).</summary>
    public const string ApiKeyHeader = "x-api-key";

    /// <summary>Metadata carrying the cluster's join token on every worker call.</summary>
    public const string JoinTokenHeader = "x-join-token";

    /// <summary>
    /// Constant-time equality. Both sides are hashed first, so inputs of different lengths cost the same too
    /// (FixedTimeEquals alone returns early on a length mismatch).
    /// </summary>
    public static bool Matches(string? presented, string expected)
    {
        if (presented is null) return false;
        Span<byte> a = stackalloc byte[32], b = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), a);
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), b);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    /// <summary>A fresh random secret: 256 bits as lowercase hex.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
