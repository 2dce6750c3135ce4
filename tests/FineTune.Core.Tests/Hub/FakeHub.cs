using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using FineTune.Core.Hub;

namespace FineTune.Core.Tests.Hub;

/// <summary>
/// An in-memory stand-in for the hub's resolve endpoint, for the client's unit tests only (the cluster tests' test hub
/// is checked against Hugging Face's own client): regular files answered with their git SHA-1 as ETag, LFS files
/// redirected to a storage host with X-Linked-Etag and X-Linked-Size; Range honoured; faults on demand; every request logged.
/// </summary>
public sealed class FakeHub : HttpMessageHandler
{
    public const string Endpoint = "http://hub.test";
    public const string Storage = "http://storage.test";
    public static readonly string Commit = new('a', 40);

    readonly Dictionary<string, (byte[] Bytes, bool Lfs)> files = []; // "repoPath/path"
    public ConcurrentQueue<(string Method, string Url, string? Range, string? Auth)> Log { get; } = new();
    public Dictionary<string, string> Renamed { get; } = []; // old repo path -> new
    public HashSet<string> Gated { get; } = [];
    /// <summary>Answer this many requests with 500 first.</summary>
    public int Failures { get; set; }
    /// <summary>Cut the next full-body GET after this many bytes.</summary>
    public long? CutAfter { get; set; }
    /// <summary>Send these bytes instead of the stored ones (a corrupt storage).</summary>
    public byte[]? Corrupt { get; set; }
    public TimeSpan Delay { get; set; }

    public void Add(string repoPath, string path, byte[] bytes, bool lfs = false) => files[$"{repoPath}/{path}"] = (bytes, lfs);

    public static string Etag(byte[] bytes, bool lfs) => lfs ? Convert.ToHexStringLower(SHA256.HashData(bytes)) : HubCache.GitBlobSha1(new MemoryStream(bytes));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel)
    {
        var url = request.RequestUri!;
        Log.Enqueue((request.Method.Method, url.AbsoluteUri, request.Headers.Range?.ToString(), request.Headers.Authorization?.Parameter));
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay, cancel);
        if (Failures > 0)
        {
            Failures--;
            return new HttpResponseMessage(HttpStatusCode.InternalServerError);
        }
        if (url.GetLeftPart(UriPartial.Authority) == Storage) return Body(request, files.Values.First(f => Etag(f.Bytes, f.Lfs) == url.AbsolutePath.TrimStart('/')).Bytes);

        var path = Uri.UnescapeDataString(url.AbsolutePath.TrimStart('/'));
        if (path.StartsWith("api/", StringComparison.Ordinal)) return Api(path["api/".Length..], url);
        var at = path.IndexOf("/resolve/", StringComparison.Ordinal);
        var (repo, rest) = (path[..at], path[(at + "/resolve/".Length)..]);
        if (Renamed.TryGetValue(repo, out var renamed))
            return new HttpResponseMessage(HttpStatusCode.TemporaryRedirect) { Headers = { Location = new Uri($"/{renamed}/resolve/{rest}", UriKind.Relative) } };
        if (Gated.Contains(repo)) return Error(HttpStatusCode.Forbidden, "GatedRepo");
        var file = rest[(rest.IndexOf('/') + 1)..];
        if (!files.Keys.Any(k => k.StartsWith(repo + "/", StringComparison.Ordinal))) return Error(HttpStatusCode.NotFound, "RepoNotFound");
        if (!rest.StartsWith("main/", StringComparison.Ordinal) && !rest.StartsWith(Commit + "/", StringComparison.Ordinal)) return Error(HttpStatusCode.NotFound, "RevisionNotFound");
        if (!files.TryGetValue($"{repo}/{file}", out var entry)) return Error(HttpStatusCode.NotFound, "EntryNotFound");

        var etag = Etag(entry.Bytes, entry.Lfs);
        var response = entry.Lfs
            ? new HttpResponseMessage(HttpStatusCode.Found) { Headers = { Location = new Uri($"{Storage}/{etag}") } }
            : request.Method == HttpMethod.Head ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) } : Body(request, entry.Bytes);
        response.Headers.Add("X-Repo-Commit", Commit);
        if (entry.Lfs)
        {
            response.Headers.Add("X-Linked-Etag", $"\"{etag}\"");
            response.Headers.Add("X-Linked-Size", entry.Bytes.Length.ToString());
        }
        else
        {
            response.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue($"\"{etag}\"");
            response.Content ??= new ByteArrayContent([]);
            response.Content.Headers.ContentLength = entry.Bytes.Length;
        }
        return response;
    }

    /// <summary>Entries per page of the tree listing (a Link header leads to the next).</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>/api/{models|datasets}/{repo}/revision/{rev} and /api/.../tree/{rev}?recursive=true, paginated.</summary>
    HttpResponseMessage Api(string path, Uri url)
    {
        var type = path[..path.IndexOf('/')];
        var rest = path[(type.Length + 1)..];
        var at = rest.Contains("/revision/") ? rest.IndexOf("/revision/", StringComparison.Ordinal) : rest.IndexOf("/tree/", StringComparison.Ordinal);
        var repo = (type == "datasets" ? "datasets/" : "") + rest[..at];
        if (!files.Keys.Any(k => k.StartsWith(repo + "/", StringComparison.Ordinal))) return Error(HttpStatusCode.NotFound, "RepoNotFound");
        var paths = files.Where(kv => kv.Key.StartsWith(repo + "/", StringComparison.Ordinal))
            .Select(kv => (Path: kv.Key[(repo.Length + 1)..], kv.Value.Bytes, kv.Value.Lfs)).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        if (rest[at..].StartsWith("/revision/", StringComparison.Ordinal))
            return Json(new { id = rest[..at], sha = Commit, siblings = paths.Select(p => new { rfilename = p.Path }) });
        int cursor = int.TryParse(System.Web.HttpUtility.ParseQueryString(url.Query)["cursor"], out var c) ? c : 0;
        var page = paths.Skip(cursor).Take(PageSize).Select(p => new
        {
            type = "file",
            path = p.Path,
            size = p.Bytes.Length,
            oid = Etag(p.Bytes, lfs: false),
            lfs = p.Lfs ? new { oid = Etag(p.Bytes, lfs: true), size = p.Bytes.Length, pointerSize = 134 } : null,
        });
        var response = Json(page);
        if (cursor + PageSize < paths.Count) response.Headers.Add("Link", $"<{url.GetLeftPart(UriPartial.Path)}?recursive=true&expand=false&cursor={cursor + PageSize}>; rel=\"next\"");
        return response;
    }

    static HttpResponseMessage Json<T>(T value) => new(HttpStatusCode.OK) { Content = System.Net.Http.Json.JsonContent.Create(value) };

    HttpResponseMessage Body(HttpRequestMessage request, byte[] bytes)
    {
        bytes = Corrupt ?? bytes;
        long from = request.Headers.Range?.Ranges.First().From ?? 0;
        var part = bytes[(int)from..];
        if (from == 0 && CutAfter is { } cut)
        {
            CutAfter = null;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new CutStream(part, cut)) };
        }
        return new HttpResponseMessage(from > 0 ? HttpStatusCode.PartialContent : HttpStatusCode.OK) { Content = new ByteArrayContent(part) };
    }

    static HttpResponseMessage Error(HttpStatusCode status, string code) => new(status) { Headers = { { "X-Error-Code", code } } };

    /// <summary>A body that breaks off with an IOException after some bytes, as a dropped connection does.</summary>
    sealed class CutStream(byte[] bytes, long cut) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            Position >= cut ? throw new IOException("connection reset") : base.Read(buffer, offset, (int)Math.Min(count, cut - Position));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancel) => Task.FromResult(Read(buffer, offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel)
        {
            var array = new byte[buffer.Length];
            int n = Read(array, 0, array.Length);
            array.AsSpan(0, n).CopyTo(buffer.Span);
            return ValueTask.FromResult(n);
        }
    }
}
