using System.Net;
using System.Net.Http.Headers;

namespace FineTune.Core.Hub;

/// <summary>A file of a hub repo at a revision, as HEAD .../resolve/... describes it.</summary>
/// <param name="Download">where its bytes are fetched: the resolve URL, or the storage it redirects to (an LFS file)</param>
public sealed record HubFile(HubRepo Repo, string Revision, string Path, string Commit, string Etag, long Size, Uri Download);

/// <summary>The hub could not be reached or kept failing (5xx, timeouts) after the retries: a fault, not bad input.</summary>
public sealed class HubUnavailableException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// The hub's file protocol as `huggingface_hub` speaks it over plain HTTP (no Xet): HEAD <c>{endpoint}/{repo}/resolve/
/// {revision}/{path}</c> (datasets under <c>datasets/</c>) gives the commit (X-Repo-Commit), the etag (X-Linked-Etag for
/// an LFS file, else ETag) and the size (X-Linked-Size, else Content-Length); relative redirects (a renamed repo) are
/// followed, an absolute one (LFS storage) is where GET goes. The token goes only to the endpoint's host. Errors come
/// back as X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) and end in one line; 5xx and
/// network failures are retried with back-off. Files land in the shared cache (<see cref="HubCache"/>), a cut download
/// resumes with Range, and a blob is checked against its etag before it is linked.
/// </summary>
public sealed partial class HubClient : IDisposable
{
    readonly HubSettings settings;

    public HubSettings Settings => settings;
    readonly HttpClient http;

    public HubCache Cache { get; }

    /// <summary>Waits between attempts after a 5xx or a network failure (tests: zero).</summary>
    public IReadOnlyList<TimeSpan> RetryDelays { get; init; } = DefaultRetryDelays;

    /// <summary>1, 4 and 16 s: four attempts over about 21 s, as a hub outage or a dropped connection needs.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultRetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(16)];

    /// <param name="handler">for tests: the HTTP layer (it must not follow redirects itself)</param>
    public HubClient(HubSettings settings, HttpMessageHandler? handler = null)
    {
        this.settings = settings;
        Cache = new HubCache(settings.CacheRoot);
        // A handler given by a test outlives this client (it may serve the next one).
        http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) }, disposeHandler: handler is null)
        {
            Timeout = Timeout.InfiniteTimeSpan, // per read, below: a 400 MB download takes what it takes
        };
    }

    /// <summary>
    /// The cached file for <paramref name="path"/> of <paramref name="repo"/> at <paramref name="revision"/>, downloaded
    /// first unless the cache has it (a commit already there needs no network; offline, only the cache answers).
    /// </summary>
    /// <param name="progress">bytes received so far, and the file's size</param>
    public async Task<string> DownloadAsync(HubRepo repo, string revision, string path, Action<long, long>? progress = null, CancellationToken cancel = default)
    {
        if (HubRevision.IsCommit(revision) && Cache.Find(repo, revision, path) is { } pinned) return pinned;
        if (settings.Offline)
            return Cache.Find(repo, revision, path)
                ?? throw new InvalidInputException($"{repo}@{revision}: '{path}' is not in the cache ({Cache.Root}) and HF_HUB_OFFLINE is set: nothing is downloaded");
        var file = await HeadAsync(repo, revision, path, cancel);
        if (!File.Exists(Cache.BlobPath(repo, file.Etag))) await FetchBlobAsync(file, progress, cancel);
        Cache.SetRef(repo, revision, file.Commit);
        return Cache.Link(repo, file.Commit, path, file.Etag);
    }

    /// <summary>What HEAD .../resolve/... says of a file; one line for a missing or closed repo, revision or file.</summary>
    public async Task<HubFile> HeadAsync(HubRepo repo, string revision, string path, CancellationToken cancel = default)
    {
        var url = new Uri($"{settings.Endpoint.AbsoluteUri.TrimEnd('/')}/{repo.UrlPath}/resolve/{Uri.EscapeDataString(revision)}/{EscapePath(path)}");
        var (response, answered) = await SendAsync(HttpMethod.Head, url, range: 0, followAbsolute: false, cancel);
        using var _ = response;
        var (location, headers) = (response.Headers.Location, response.Headers);
        string? Header(string name) => headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;
        var commit = Header("X-Repo-Commit") ?? throw Bad(repo, revision, path, "no X-Repo-Commit header");
        var etag = HubCache.NormalizeEtag(Header("X-Linked-Etag") ?? response.Headers.ETag?.Tag ?? throw Bad(repo, revision, path, "no ETag header"));
        var size = long.TryParse(Header("X-Linked-Size"), out var linked) ? linked : response.Content.Headers.ContentLength ?? throw Bad(repo, revision, path, "no size");
        var download = location is null ? answered : new Uri(answered, location);
        return new HubFile(repo, revision, path, commit, etag, size, download);
    }

    static HubUnavailableException Bad(HubRepo repo, string revision, string path, string what) => new($"{repo}@{revision} {path}: the hub's answer has {what}");

    static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>
    /// Sends one request, retried after a 5xx or a network failure. Redirects are followed by hand: a relative one
    /// always (the same host), an absolute one only with <paramref name="followAbsolute"/>; the token goes to the
    /// endpoint's host only. A 4xx ends in <see cref="Refused"/>'s one line.
    /// </summary>
    /// <returns>the response and the URL that gave it</returns>
    /// <param name="content">the request's body, made afresh for each attempt (uploads)</param>
    /// <param name="answer">a 4xx status that is an answer, not a refusal (409 to "create this repo")</param>
    async Task<(HttpResponseMessage Response, Uri Url)> SendAsync(HttpMethod method, Uri url, long range, bool followAbsolute, CancellationToken cancel,
        Func<HttpContent>? content = null, IEnumerable<KeyValuePair<string, string>>? headers = null, HttpStatusCode? answer = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            HttpResponseMessage? response = null;
            try
            {
                var target = url;
                for (int hop = 0; ; hop++)
                {
                    using var request = new HttpRequestMessage(method, target);
                    if (settings.Token is { } token && target.Host == settings.Endpoint.Host && target.Port == settings.Endpoint.Port)
                        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity")); // sizes and hashes are of the bytes as stored
                    if (range > 0) request.Headers.Range = new RangeHeaderValue(range, null);
                    if (content is not null) request.Content = content();
                    foreach (var (name, value) in headers ?? []) request.Headers.TryAddWithoutValidation(name, value);
                    response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
                    if ((int)response.StatusCode is < 300 or >= 400 || response.Headers.Location is not { } next) break;
                    if (!followAbsolute && next.IsAbsoluteUri || hop == 10) break;
                    target = new Uri(target, next);
                    response.Dispose();
                }
                if ((int)response.StatusCode >= 500) throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
                if ((int)response.StatusCode >= 400 && response.StatusCode != answer) throw Refused(response, url);
                return (response, target);
            }
            catch (Exception e) when (e is HttpRequestException or IOException && e is not HubUnavailableException && !cancel.IsCancellationRequested)
            {
                response?.Dispose();
                if (attempt >= RetryDelays.Count)
                    throw new HubUnavailableException($"{url}: {Describe(e)} after {attempt + 1} attempts", e);
                await Task.Delay(RetryDelays[attempt], cancel);
            }
        }
    }

    static string Describe(Exception e) => e is HttpRequestException { StatusCode: { } code } ? $"HTTP {(int)code}" : e.Message;

    /// <summary>": MESSAGE" from the hub's JSON error body ({"error": ...}), first line only; "" when there is none.</summary>
    static string HubMessage(HttpResponseMessage response)
    {
        try
        {
            var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            using var json = System.Text.Json.JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var e) && e.GetString() is { Length: > 0 } m ? ": " + ErrorText.FirstLine(m) : "";
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or HttpRequestException)
        {
            return "";
        }
    }

    /// <summary>A 4xx as one line: what is missing or closed, and what to do.</summary>
    InvalidInputException Refused(HttpResponseMessage response, Uri url)
    {
        var code = response.Headers.TryGetValues("X-Error-Code", out var v) ? v.FirstOrDefault() : null;
        var where = url.AbsolutePath;
        var line = (code, response.StatusCode) switch
        {
            ("RepoNotFound", _) => $"repository not found (a private or gated repo needs HF_TOKEN{(settings.Token is null ? ", which is not set" : "")})",
            ("RevisionNotFound", _) => "revision not found",
            ("EntryNotFound", _) => "no such file at this revision",
            ("GatedRepo", _) => "a gated repo: accept its conditions on the hub with this account, then set HF_TOKEN",
            (_, HttpStatusCode.Unauthorized) => $"not authorized ({(settings.Token is null ? "HF_TOKEN is not set" : "HF_TOKEN was refused")})",
            (_, HttpStatusCode.Forbidden) => $"access denied for this token{HubMessage(response)}",
            (_, HttpStatusCode.NotFound) => "not found",
            (_, var status) => $"refused with HTTP {(int)status}{HubMessage(response)}",
        };
        response.Dispose();
        return new InvalidInputException($"{settings.Endpoint.Host}{where}: {line}");
    }
}
