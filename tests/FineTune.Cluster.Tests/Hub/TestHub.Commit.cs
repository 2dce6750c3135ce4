using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>An answer a write ends with when it fails: status, X-Error-Code (or none) and message.</summary>
readonly record struct HubFailure(int Status, string? Code, string Message);

/// <summary>One operation of a commit: a file's new blob (file, lfsFile) or a deletion (deletedFile, deletedFolder).</summary>
sealed record HubChange(string Key, string Path, HubBlob? Blob);

/// <summary>A commit as parsed before it is applied: its header and operations, in order.</summary>
sealed record HubCommitRequest(string Summary, string Description, string? ParentCommit, IReadOnlyList<HubChange> Changes);

public sealed partial class TestHub
{
    /// <summary>
    /// POST commit/BRANCH: NDJSON lines {"key":"header"|"file"|"lfsFile"|"deletedFile"|"deletedFolder","value":..}
    /// (both clients), or the older JSON form {"summary","description","parentCommit","files","lfsFiles",
    /// "deletedFiles","deletedFolders"}. All checked before anything changes, then applied at once on the branch's head
    /// (412 when parentCommit is not it) → {"success":true,"commitOid","commitUrl","hookOutput"}.
    /// </summary>
    async Task CommitAsync(HttpContext context, HubRepoState repo, string branch)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var ndjson = context.Request.ContentType?.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase) == true;
        HubFailure? failure;
        HubCommitRequest? request;
        try
        {
            var operations = ndjson ? NdjsonOperations(buffer.ToArray()) : JsonOperations(buffer.ToArray());
            (request, failure) = ParseCommit(operations);
        }
        catch (JsonException e)
        {
            (request, failure) = (null, new HubFailure(400, null, $"Invalid commit payload: {e.Message}"));
        }
        if (request is not null)
        {
            (var commit, failure) = repo.Advance(branch, head => Apply(head, request));
            if (commit is not null)
            {
                foreach (var blob in request.Changes.Select(c => c.Blob).Where(b => b is { IsLfs: true })) StoreCommitted(blob!);
                await WriteJsonAsync(context, new { success = true, commitOid = commit.Id, commitUrl = $"{EndpointText}/{repo.Fixture.UrlPath}/commit/{commit.Id}", hookOutput = "" });
                return;
            }
        }
        await ErrorAsync(context, failure!.Value.Status, failure.Value.Code, failure.Value.Message);
    }

    static List<(string Key, JsonElement Value)> NdjsonOperations(byte[] body) =>
        Encoding.UTF8.GetString(body).Split('\n').Where(l => l.Trim().Length > 0).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            return (Text(root, "key") ?? throw new JsonException("a line has no key"),
                root.TryGetProperty("value", out var value) ? value.Clone() : throw new JsonException("a line has no value"));
        }).ToList();

    /// <summary>The JSON form's fields as the NDJSON operations they stand for.</summary>
    static List<(string Key, JsonElement Value)> JsonOperations(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new JsonException("the body is not an object");
        var operations = new List<(string, JsonElement)> { ("header", root.Clone()) };
        foreach (var (field, key) in new[] { ("files", "file"), ("lfsFiles", "lfsFile"), ("deletedFiles", "deletedFile"), ("deletedFolders", "deletedFolder") })
        {
            if (root.TryGetProperty(field, out var list) && list.ValueKind == JsonValueKind.Array)
                operations.AddRange(list.EnumerateArray().Select(v => (key, v.Clone())));
        }
        return operations;
    }

    /// <summary>The header and the changes, every file decoded and every LFS object found; the first problem otherwise.</summary>
    (HubCommitRequest?, HubFailure?) ParseCommit(List<(string Key, JsonElement Value)> operations)
    {
        var headers = operations.Where(o => o.Key == "header").ToList();
        if (headers.Count != 1 || Text(headers[0].Value, "summary") is not { } summary)
            return (null, new HubFailure(400, null, "Invalid commit payload: one header with a summary is needed"));
        var changes = new List<HubChange>();
        foreach (var (key, value) in operations.Where(o => o.Key != "header"))
        {
            var path = Text(value, "path");
            if (path is null || !IsRepoPath(path)) return (null, new HubFailure(400, null, $"Invalid path in {key}: {path}"));
            switch (key)
            {
                case "file":
                    if (Decode(value) is not { } bytes) return (null, new HubFailure(400, null, $"Invalid content for {path}: base64 or utf-8 expected"));
                    if (bytes.Length > HubBlob.LfsAbove)
                        return (null, new HubFailure(422, null, $"Your push was rejected because it contains files larger than 10 MiB: {path}. Please use LFS."));
                    changes.Add(new HubChange(key, path, new HubBlob(path, bytes, isLfs: false)));
                    break;
                case "lfsFile":
                    var oid = Text(value, "oid") ?? "";
                    long? size = value.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : null;
                    if (Text(value, "algo") is { } algo && algo != "sha256")
                        return (null, new HubFailure(400, null, $"Unsupported algo {algo} for {path}"));
                    if (!IsSha256(oid) || TakeLfsObject(oid, size) is not { } stored)
                        return (null, new HubFailure(422, null, $"Your push was rejected because an LFS pointer pointed to a file that does not exist: {path} (oid {oid})"));
                    changes.Add(new HubChange(key, path, new HubBlob(path, stored, isLfs: true)));
                    break;
                case "deletedFile" or "deletedFolder":
                    changes.Add(new HubChange(key, path, null));
                    break;
                default:
                    return (null, new HubFailure(400, null, $"Invalid commit payload: unknown key {key}"));
            }
        }
        return (new HubCommitRequest(summary, Text(headers[0].Value, "description") ?? "", Text(headers[0].Value, "parentCommit"), changes), null);
    }

    /// <summary>The next commit on <paramref name="head"/>, or why there is none; runs under the repo's lock.</summary>
    static (HubCommit? Next, (HubCommit? Commit, HubFailure? Failure) Result) Apply(HubCommit head, HubCommitRequest request)
    {
        if (request.ParentCommit is { } parent && parent != head.Id)
            return (null, (null, new HubFailure(412, null, "A commit has happened since. Please refresh and try again.")));
        var files = new Dictionary<string, HubBlob>(head.Files, StringComparer.Ordinal);
        foreach (var change in request.Changes)
        {
            if (change.Blob is { } blob)
            {
                files[change.Path] = blob;
                continue;
            }
            bool gone = change.Key == "deletedFile" ? files.Remove(change.Path)
                : files.Keys.Where(p => p.StartsWith(change.Path.TrimEnd('/') + "/", StringComparison.Ordinal)).ToList().Count(files.Remove) > 0;
            if (!gone) return (null, (null, new HubFailure(404, "EntryNotFound", $"Entry not found: {change.Path} does not exist on the branch")));
        }
        // Dates only move forward, so a file's lastCommit is the latest change even within one second.
        var now = DateTime.UtcNow;
        var date = now > head.Date ? now : head.Date.AddMilliseconds(1);
        var next = new HubCommit(head, files.Values, request.Summary, request.Description, date);
        return (next, (next, null));
    }

    /// <summary>A path inside the repo: relative, with no empty, "." or ".." segment (dot files such as .gitattributes are kept).</summary>
    static bool IsRepoPath(string path) =>
        path.Length > 0 && !path.Contains('\\') && path.Split('/').All(s => s.Length > 0 && s != "." && s != "..");
}
