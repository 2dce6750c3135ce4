namespace FineTune.Coordinator.Security;

/// <summary>
/// The coordinator's secrets: the Jobs API key (--api-key, FineTune:ApiKey, FineTune__ApiKey) and the workers' join
/// token (--join-token, FineTune:JoinToken, FineTune__JoinToken). Null means not configured: allowed only on loopback.
/// Neither is ever logged nor stored in a job record.
/// </summary>
public sealed record SecurityOptions(string? ApiKey, string? JoinToken)
{
    public static SecurityOptions From(IConfiguration c)
    {
        var settings = new FineTune.ServiceDefaults.ServiceSettings(c); // empty or whitespace: not configured
        return new(settings.String("api-key"), settings.String("join-token"));
    }
}
