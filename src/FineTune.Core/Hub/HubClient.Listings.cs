using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FineTune.Core.Hub;

/// <summary>A file of a repo as the tree listing gives it.</summary>
/// <param name="Oid">the git blob SHA-1</param>
/// <param name="LfsOid">the SHA-256 of an LFS file's bytes, else null</param>
public sealed record HubTreeFile(string Path, long Size, string Oid, string? LfsOid)
{
    /// <summary>The blob's name in the cache: the hub's etag for this file.</summary>
    public string Etag => LfsOid ?? Oid;
}

public sealed partial class HubClient
{
    /// <summary>The commit a branch, tag or commit names: GET /api/{models|datasets}/{repo}/revision/{revision}.</summary>
    public async Task<string> CommitAsync(HubRepo repo, string revision, CancellationToken cancel = default)
    {
        var info = await GetJsonAsync<RevisionInfo>(Api(repo, "revision", revision), cancel);
        return info?.Sha is { } sha && HubRevision.IsCommit(sha) ? sha : throw new HubUnavailableException($"{repo}@{revision}: the hub's revision answer has no commit");
    }

    /// <summary>
    /// Every file of <paramref name="repo"/> at <paramref name="commit"/>: GET /api/{type}s/{repo}/tree/{commit}?recursive=true,
    /// page after page as its Link header (rel="next") leads.
    /// </summary>
    public async Task<IReadOnlyList<HubTreeFile>> TreeAsync(HubRepo repo, string commit, CancellationToken cancel = default)
    {
        var files = new List<HubTreeFile>();
        Uri? page = new($"{Api(repo, "tree", commit)}?recursive=true&expand=false");
        for (int pages = 0; page is not null; pages++)
        {
            if (pages == 10_000) throw new HubUnavailableException($"{repo}@{commit}: the tree listing does not end");
            var (response, answered) = await SendAsync(HttpMethod.Get, page, range: 0, followAbsolute: false, cancel);
            using (response)
            {
                var entries = await ReadJsonAsync<List<TreeEntry>>(response, page, cancel) ?? [];
                files.AddRange(entries.Where(e => e.Type == "file" && e.Path is not null && e.Oid is not null)
                    .Select(e => new HubTreeFile(e.Path!, e.Lfs?.Size ?? e.Size, e.Oid!, e.Lfs?.Oid)));
                page = NextPage(response, answered);
            }
        }
        return files;
    }

    async Task<T?> GetJsonAsync<T>(Uri url, CancellationToken cancel)
    {
        var (response, _) = await SendAsync(HttpMethod.Get, url, range: 0, followAbsolute: false, cancel);
        using (response) return await ReadJsonAsync<T>(response, url, cancel);
    }

    static async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, Uri url, CancellationToken cancel)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(cancel);
        }
        catch (JsonException e)
        {
            throw new HubUnavailableException($"{url}: the hub's answer is not the JSON expected ({e.Message})", e);
        }
    }

    /// <summary>The next page's URL from a Link header (<c>&lt;URL&gt;; rel="next"</c>), or null on the last page.</summary>
    static Uri? NextPage(HttpResponseMessage response, Uri answered)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var link in links.SelectMany(l => l.Split(',')))
        {
            var parts = link.Split(';', StringSplitOptions.TrimEntries);
            if (parts.Length > 1 && parts[0].StartsWith('<') && parts[0].EndsWith('>') && parts.Skip(1).Any(p => p.Replace(" ", "") is "rel=\"next\"" or "rel=next"))
                return new Uri(answered, parts[0][1..^1]);
        }
        return null;
    }

    Uri Api(HubRepo repo, string what, string revision) =>
        new($"{settings.Endpoint.AbsoluteUri.TrimEnd('/')}/api/{repo.Type}s/{repo.Id}/{what}/{Uri.EscapeDataString(revision)}");

    sealed record RevisionInfo([property: JsonPropertyName("sha")] string? Sha);

    sealed record TreeEntry(
        [property: JsonPropertyName("type")] string? Type,
        [property: JsonPropertyName("path")] string? Path,
        [property: JsonPropertyName("size")] long Size,
        [property: JsonPropertyName("oid")] string? Oid,
        [property: JsonPropertyName("lfs")] LfsInfo? Lfs);

    sealed record LfsInfo([property: JsonPropertyName("oid")] string? Oid, [property: JsonPropertyName("size")] long? Size);
}
