using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace FineTune.Cluster.Tests.Hub;

public sealed partial class TestHub
{
    /// <summary>
    /// POST paths-info: the entries of the paths asked (JSON {"paths":[..],"expand":true} as @huggingface/hub sends, or
    /// form fields as huggingface_hub sends); paths that do not exist are left out, as the hub leaves them out.
    /// </summary>
    async Task PathsInfoAsync(HttpContext context, HubCommit commit)
    {
        List<string> paths = [];
        bool expand = false;
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync();
            paths.AddRange(form["paths"].OfType<string>());
            expand = string.Equals(form["expand"], "true", StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            if (body.RootElement.TryGetProperty("paths", out var asked))
                paths.AddRange(asked.EnumerateArray().Select(p => p.GetString() ?? ""));
            expand = body.RootElement.TryGetProperty("expand", out var e) && e.ValueKind == JsonValueKind.True;
        }
        var directories = commit.Directories().ToHashSet(StringComparer.Ordinal);
        var entries = paths.Distinct().Select(p =>
            commit.Files.TryGetValue(p, out var blob) ? FileEntry(commit, blob, expand)
            : directories.Contains(p) ? DirectoryEntry(commit, p)
            : null).OfType<object>().ToList();
        await WriteJsonAsync(context, entries);
    }

    /// <summary>GET revision: the repo's info at a revision (sha, siblings, private, gated, ...).</summary>
    async Task RevisionAsync(HttpContext context, HubRepoState repo, HubCommit commit)
    {
        var fixture = repo.Fixture;
        var date = IsoDate(commit.Date);
        await WriteJsonAsync(context, new Dictionary<string, object?>
        {
            ["_id"] = Hex(SHA1.HashData(Encoding.UTF8.GetBytes(fixture.Id)))[..24],
            ["id"] = fixture.Id,
            ["author"] = fixture.Id.Contains('/') ? fixture.Id.Split('/')[0] : null,
            ["sha"] = commit.Id,
            ["private"] = fixture.Visibility == HubVisibility.Private,
            ["gated"] = fixture.Visibility == HubVisibility.Gated ? "auto" : false,
            ["disabled"] = false,
            ["downloads"] = 0,
            ["likes"] = 0,
            ["tags"] = Array.Empty<string>(),
            ["createdAt"] = IsoDate(repo.Commits[0].Date),
            ["lastModified"] = date,
            ["siblings"] = commit.Files.Keys.Order(StringComparer.Ordinal).Select(p => new { rfilename = p }).ToList(),
        });
    }

    /// <summary>
    /// GET tree/REV[/PATH]?recursive=..&amp;expand=..: the entries under a folder (all of them when recursive), a page
    /// of <see cref="TreePageSize"/> at a time, the next page named by an absolute Link header with a cursor.
    /// </summary>
    async Task TreeAsync(HttpContext context, HubCommit commit, string folder)
    {
        var directories = commit.Directories().ToHashSet(StringComparer.Ordinal);
        if (folder.Length > 0 && !directories.Contains(folder))
        {
            await ErrorAsync(context, 404, "EntryNotFound", $"Entry not found");
            return;
        }
        var query = context.Request.Query;
        bool recursive = string.Equals(query["recursive"], "true", StringComparison.OrdinalIgnoreCase);
        bool expand = string.Equals(query["expand"], "true", StringComparison.OrdinalIgnoreCase);
        var prefix = folder.Length == 0 ? "" : folder + "/";
        bool Listed(string path) => path.StartsWith(prefix, StringComparison.Ordinal) && (recursive || !path[prefix.Length..].Contains('/'));
        var entries = directories.Where(Listed).Select(d => (Path: d, Entry: DirectoryEntry(commit, d)))
            .Concat(commit.Files.Values.Where(b => Listed(b.Path)).Select(b => (b.Path, Entry: FileEntry(commit, b, expand))))
            .OrderBy(e => e.Path, StringComparer.Ordinal).Select(e => e.Entry).ToList();
        int start = query["cursor"] is [{ } cursor] ? int.Parse(Encoding.ASCII.GetString(Convert.FromBase64String(cursor)), CultureInfo.InvariantCulture) : 0;
        var page = entries.Skip(start).Take(TreePageSize).ToList();
        if (start + page.Count < entries.Count)
        {
            var next = Convert.ToBase64String(Encoding.ASCII.GetBytes((start + page.Count).ToString(CultureInfo.InvariantCulture)));
            var kept = query.Where(q => q.Key != "cursor").Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value.ToString())}");
            var url = $"{Endpoint.GetLeftPart(UriPartial.Authority)}{context.Request.PathBase}{context.Request.Path.ToUriComponent()}?{string.Join('&', [.. kept, "cursor=" + Uri.EscapeDataString(next)])}";
            context.Response.Headers.Link = $"<{url}>; rel=\"next\"";
        }
        await WriteJsonAsync(context, page);
    }

    static Dictionary<string, object?> FileEntry(HubCommit commit, HubBlob blob, bool expand)
    {
        var entry = new Dictionary<string, object?>
        {
            ["type"] = "file",
            ["oid"] = blob.GitOid,
            ["size"] = blob.Bytes.Length,
            ["path"] = blob.Path,
        };
        if (blob.IsLfs) entry["lfs"] = new { oid = blob.Sha256, size = blob.Bytes.Length, pointerSize = blob.PointerSize };
        if (expand)
        {
            var last = commit.LastChange(blob.Path);
            entry["lastCommit"] = new { id = last.Id, title = last.Title, date = IsoDate(last.Date) };
        }
        return entry;
    }

    /// <summary>A folder entry; its oid stands for a git tree id (a hash of what the folder holds).</summary>
    static Dictionary<string, object?> DirectoryEntry(HubCommit commit, string folder)
    {
        var listing = string.Join('\n', commit.Files.Values.Where(b => b.Path.StartsWith(folder + "/", StringComparison.Ordinal))
            .OrderBy(b => b.Path, StringComparer.Ordinal).Select(b => $"{b.Path} {b.GitOid}"));
        return new() { ["type"] = "directory", ["oid"] = Hex(SHA1.HashData(Encoding.UTF8.GetBytes(listing))), ["size"] = 0, ["path"] = folder };
    }

    static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    static string IsoDate(DateTime date) => date.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
