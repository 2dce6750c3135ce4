namespace FineTune.Core.Hub;

/// <summary>
/// Where the hub is and who asks, as `huggingface_hub` reads it from the environment: HF_ENDPOINT (default the public
/// hub), HF_TOKEN (else the token file $HF_HOME/token), HF_HUB_OFFLINE (1, true, yes or on: no network at all) and the
/// cache (<see cref="HubCache.DefaultRoot"/>). The token is sent as a bearer token and never written anywhere.
/// </summary>
public sealed record HubSettings(Uri Endpoint, string? Token, bool Offline, string CacheRoot)
{
    public const string PublicEndpoint = "https://huggingface.co";

    /// <param name="variable">for tests: reads an environment variable (default: this process's environment)</param>
    public static HubSettings FromEnvironment(Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        string? Set(string name) => variable(name) is { Length: > 0 } v ? v.Trim() : null;
        var endpoint = Set("HF_ENDPOINT") ?? PublicEndpoint;
        if (!Uri.TryCreate(endpoint.TrimEnd('/'), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new InvalidInputException($"HF_ENDPOINT: '{endpoint}' is not an http:// or https:// URL");
        var tokenFile = Path.Combine(Home(variable), "token");
        var token = Set("HF_TOKEN") ?? (File.Exists(tokenFile) && File.ReadAllText(tokenFile).Trim() is { Length: > 0 } t ? t : null);
        bool offline = Set("HF_HUB_OFFLINE")?.ToLowerInvariant() is "1" or "true" or "yes" or "on";
        return new HubSettings(url, token, offline, HubCache.DefaultRoot(variable));
    }

    /// <summary>HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface: the token file and the cache live there.</summary>
    public static string Home(Func<string, string?> variable) =>
        variable("HF_HOME") is { Length: > 0 } home ? home
        : Path.Combine(variable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");

    /// <summary>Never the token: records print as this.</summary>
    public override string ToString() => $"{Endpoint} (token {(Token is null ? "none" : "set")}{(Offline ? ", offline" : "")}, cache {CacheRoot})";
}
