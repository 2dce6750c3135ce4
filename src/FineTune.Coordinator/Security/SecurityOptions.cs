namespace FineTune.Coordinator.Security;

/// <summary>
/// The coordinator's secrets: the Jobs API key (--api-key, FineTune:ApiKey, FineTune__ApiKey) and the workers' join
/// token (--join-token, FineTune:JoinToken, FineTune__JoinToken). Null means not configured: allowed only on loopback.
/// Neither is ever logged nor stored in a job record.
/// </summary>
public sealed record SecurityOptions(string? ApiKey, string? JoinToken)
{
    public static SecurityOptions From(IConfiguration c) => new(
        NonEmpty(c["api-key"] ?? c["FineTune:ApiKey"]),
        NonEmpty(c["join-token"] ?? c["FineTune:JoinToken"]));

    static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
