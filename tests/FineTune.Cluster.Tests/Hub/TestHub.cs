using System.Collections.Concurrent;
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
/// errors carry X-Error-Code as the hub's do. Every request is logged; faults can be injected per file. Uploads as
/// huggingface_hub and @huggingface/hub push without Xet: whoami, repo creation, preupload, the LFS batch API (basic
/// transfer to the storage host), the NDJSON commit and branch creation (TestHub.Upload.cs, .Lfs.cs, .Commit.cs).
/// </summary>
public sealed partial class TestHub : IAsyncDisposable
{
    /// <summary>A valid token that reads public and private repos but has not accepted any gate.</summary>
    public const string ReaderToken = "hf_testhub_reader";

    /// <summary>A valid token of an account that accepted the gated repos' conditions.</summary>
    public const string GatedMemberToken = "hf_testhub_gated_member";

    /// <summary>A write token of user <see cref="WriterUser"/>, member of <see cref="WriterOrg"/>: it may write to repos of those two namespaces.</summary>
    public const string WriterToken = "hf_testhub_writer";

    public const string WriterUser = "me";
    public const string WriterOrg = "finetune-test";

    static readonly HashSet<string> GatedAccessTokens = [GatedMemberToken];

    /// <summary>The accounts behind the valid tokens.</summary>
    static readonly Dictionary<string, HubUser> Users = new(StringComparer.Ordinal)
    {
        [ReaderToken] = new("reader", "read", []),
        [GatedMemberToken] = new("gated-member", "read", []),
        [WriterToken] = new(WriterUser, "write", [WriterOrg]),
    };

    readonly WebApplication app;
    readonly List<HubRepoState> repos; // guarded by itself: repos are created while others are read
    readonly ConcurrentDictionary<string, HubBlob> storage = new(StringComparer.Ordinal);
    readonly List<HubRequest> log = [];

    TestHub(WebApplication app, IEnumerable<HubRepoFixture> fixtures)
    {
        this.app = app;
        repos = fixtures.Select(f => new HubRepoState(f)).ToList();
        foreach (var blob in repos.SelectMany(r => r.Commits).SelectMany(c => c.Files.Values).Where(b => b.IsLfs))
            storage[blob.Sha256!] = blob;
    }

    static bool IsValidToken(string? token) => token is not null && Users.ContainsKey(token);

    public Uri Endpoint { get; private set; } = null!;
    public Uri StorageEndpoint { get; private set; } = null!;

    /// <summary>Entries per page of the tree API (the hub's is 1000; a test sets 2 to see pagination).</summary>
    public int TreePageSize { get; set; } = 1000;

    /// <summary>The served repos, fixtures first, then those created through the API (a snapshot).</summary>
    public IReadOnlyList<HubRepoState> Repos
    {
        get { lock (repos) return [.. repos]; }
    }

    public static async Task<TestHub> StartAsync(IEnumerable<HubRepoFixture> repos)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1);
            k.Listen(IPAddress.Parse("127.0.0.2"), 0, l => l.Protocols = HttpProtocols.Http1); // Linux routes 127/8 here
            k.Limits.MaxRequestBodySize = null; // a basic LFS upload is one PUT of the whole file, as large as it is
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

    /// <summary>The served state of a repo by its current id (a fixture or a repo created through the API).</summary>
    public HubRepoState Repo(string id) => Repos.Single(r => r.Fixture.Id == id);

    /// <summary>The served state of a repo of a type ("model" or "dataset"); null when there is none.</summary>
    public HubRepoState? FindRepo(string type, string id) => Repos.SingleOrDefault(r => r.Fixture.Type == type && r.Fixture.Id == id);

    /// <summary>Whether the LFS storage holds an object (a fixture's LFS file, or one pushed and verified or committed).</summary>
    public bool StoresObject(string sha256) => storage.ContainsKey(sha256);

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
        context.Request.Body = new CountingStream(context.Request.Body, exchange);
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
                auth.Length > 0, IsValidToken(BearerToken(auth)), context.Response.StatusCode, exchange.BodyBytes, exchange.RequestBytes);
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
/// <param name="RequestBytes">bytes of request body the hub read (an upload's PUT, a commit's NDJSON)</param>
public sealed record HubRequest(string Method, string Host, string PathAndQuery, string? Range, bool AuthorizationSent, bool ValidToken, int Status, long BodyBytes, long RequestBytes);

/// <summary>An account as whoami-v2 shows it: its name, its token's role ("read" or "write") and its organizations.</summary>
public sealed record HubUser(string Name, string Role, IReadOnlyList<string> Orgs)
{
    /// <summary>Whether the token may write to repos of <paramref name="owner"/>: a write role and the user's own namespace or one of its orgs.</summary>
    public bool CanWrite(string owner) => Role == "write" && (owner == Name || Orgs.Contains(owner));
}

/// <summary>What the handler tracks of one request while it answers.</summary>
sealed class HubExchange(HttpContext context)
{
    public HttpContext Context { get; } = context;
    public long BodyBytes { get; set; }
    public long RequestBytes { get; set; }
}

/// <summary>The request body, counting what is read of it for the log.</summary>
sealed class CountingStream(Stream inner, HubExchange exchange) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    int Counted(int read)
    {
        exchange.RequestBytes += read;
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
