using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace FineTune.Cluster.Tests.Hub;

// What @huggingface/hub 2.17.5 (dist/chunk-*.mjs) calls, read from its source:
// snapshotDownload: GET /api/{models|datasets}/{id}/revision/{rev}?expand=...&expand=sha (takes `sha`, writes refs/{rev}
// unless rev is the commit), then GET /api/.../tree/{sha}?recursive=true&expand=false, following `Link: <absolute>;
// rel="next"`; for each file downloadFileToCacheDir: POST /api/.../paths-info/{rev} {"paths":[p],"expand":true} (etag =
// lfs.oid, else oid; the snapshot folder is the revision when it is a commit, else the file's lastCommit.id), then
// GET resolve with `Range: bytes=0-0` and `Accept: application/vnd.xet-fileinfo+json, */*` (needs 2xx, Content-Range
// ".../TOTAL", X-Linked-Etag or ETag), then a plain GET of the resolve URL (fetch follows the 302 to storage; a
// cross-origin redirect drops Authorization). Paths in resolve URLs are not escaped by the client; the revision is.
// scanCacheDir lists only the top level of a snapshot (files in subfolders are not in its `files`).

/// <summary>
/// A loopback Hugging Face Hub for tests: the plain-HTTP protocol (no Xet) of resolve, paths-info, revision and tree,
/// on 127.0.0.1 (<see cref="Endpoint"/>), with LFS files redirected to a second host, 127.0.0.2 (<see
/// cref="StorageEndpoint"/>), so a client must drop its token there. Renamed repos answer 307 with a relative Location;
/// errors carry X-Error-Code as the hub's do. Every request is logged; faults can be injected per file.
/// </summary>
public sealed partial class TestHub : IAsyncDisposable
{
    /// <summary>A valid token that reads public and private repos but has not accepted any gate.</summary>
    public const string ReaderToken = "hf_testhub_reader";

    /// <summary>A valid token of an account that accepted the gated repos' conditions.</summary>
    public const string GatedMemberToken = "hf_testhub_gated_member";

    static readonly HashSet<string> ValidTokens = [ReaderToken, GatedMemberToken];
    static readonly HashSet<string> GatedAccessTokens = [GatedMemberToken];

    readonly WebApplication app;
    readonly List<HubRepoState> repos;
    readonly Dictionary<string, HubBlob> storage = new(StringComparer.Ordinal);
    readonly List<HubRequest> log = [];

    TestHub(WebApplication app, IEnumerable<HubRepoFixture> fixtures)
    {
        this.app = app;
        repos = fixtures.Select(f => new HubRepoState(f)).ToList();
        foreach (var blob in repos.SelectMany(r => r.Commits).SelectMany(c => c.Files.Values).Where(b => b.IsLfs))
            storage[blob.Sha256!] = blob;
    }

    public Uri Endpoint { get; private set; } = null!;
    public Uri StorageEndpoint { get; private set; } = null!;

    /// <summary>Entries per page of the tree API (the hub's is 1000; a test sets 2 to see pagination).</summary>
    public int TreePageSize { get; set; } = 1000;

    public IReadOnlyList<HubRepoState> Repos => repos;

    public static async Task<TestHub> StartAsync(IEnumerable<HubRepoFixture> repos)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1);
            k.Listen(IPAddress.Parse("127.0.0.2"), 0, l => l.Protocols = HttpProtocols.Http1); // Linux routes 127/8 here
        });
        var app = builder.Build();
        var hub = new TestHub(app, repos);
        app.Run(hub.HandleAsync);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        hub.Endpoint = new Uri(addresses.Single(a => a.Contains("127.0.0.1", StringComparison.Ordinal)));
        hub.StorageEndpoint = new Uri(addresses.Single(a => a.Contains("127.0.0.2", StringComparison.Ordinal)));
        return hub;
    }

    /// <summary>The served state of a repo by its current id.</summary>
    public HubRepoState Repo(string id) => repos.Single(r => r.Fixture.Id == id);

    public IReadOnlyList<HubRequest> Requests
    {
        get { lock (log) return [.. log]; }
    }

    public void ClearLog()
    {
        lock (log) log.Clear();
    }

    async Task HandleAsync(HttpContext context)
    {
        var exchange = new HubExchange(context);
        context.Items[typeof(HubExchange)] = exchange;
        try
        {
            if (TakeFailure(context.Request.Path.Value ?? "") is { } status)
                await ErrorAsync(context, status, null, "injected failure");
            else if (context.Connection.LocalIpAddress?.Equals(IPAddress.Loopback) == false)
                await ServeStorageAsync(context);
            else
                await ServeHubAsync(context);
        }
        finally
        {
            var request = context.Request;
            var auth = request.Headers.Authorization.ToString();
            var entry = new HubRequest(request.Method, $"{context.Connection.LocalIpAddress}:{context.Connection.LocalPort}",
                request.Path.Value + request.QueryString.Value, request.Headers.Range.Count > 0 ? request.Headers.Range.ToString() : null,
                auth.Length > 0, BearerToken(auth) is { } t && ValidTokens.Contains(t), context.Response.StatusCode, exchange.BodyBytes);
            lock (log) log.Add(entry);
        }
    }

    static string? BearerToken(string authorization) =>
        authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>One request the hub answered: where it went, what it carried, what came back.</summary>
/// <param name="Host">the local address and port that took it (the hub's or the storage's)</param>
/// <param name="ValidToken">whether the Authorization header held a token the hub accepts</param>
/// <param name="BodyBytes">bytes of response body sent (fewer than the file when cut)</param>
public sealed record HubRequest(string Method, string Host, string PathAndQuery, string? Range, bool AuthorizationSent, bool ValidToken, int Status, long BodyBytes);

/// <summary>What the handler tracks of one request while it answers.</summary>
sealed class HubExchange(HttpContext context)
{
    public HttpContext Context { get; } = context;
    public long BodyBytes { get; set; }
}
