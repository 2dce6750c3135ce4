using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace FineTune.Cluster.Tests.Hub;

public sealed partial class TestHub
{
    const string LfsJson = "application/vnd.git-lfs+json";

    /// <summary>Bodies PUT to the storage host by SHA-256, not yet verified or committed (as a bucket holds them, unchecked).</summary>
    readonly ConcurrentDictionary<string, byte[]> uploads = new(StringComparer.Ordinal);

    /// <summary>
    /// POST /[datasets/]ID.git/info/lfs/objects/{batch|verify}: the git-lfs batch API with the basic transfer (the
    /// hub's multipart and Xet are not offered), under the same write rules as a commit; false for any other path.
    /// </summary>
    async Task<bool> ServeLfsAsync(HttpContext context, string? token)
    {
        var segments = (context.Request.Path.Value ?? "").Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        int git = Array.FindIndex(segments, s => s.EndsWith(".git", StringComparison.Ordinal));
        if (git < 0 || segments[(git + 1)..] is not ["info", "lfs", "objects", "batch" or "verify"]) return false;
        var (type, start) = segments[0] == "datasets" ? ("dataset", 1) : ("model", 0);
        var id = string.Join('/', segments[start..(git + 1)])[..^".git".Length];
        var repo = FindRepo(type, id);
        if (!HttpMethods.IsPost(context.Request.Method))
            await ErrorAsync(context, 405, null, "Method not allowed");
        else if (repo is null || (repo.Fixture.Visibility == HubVisibility.Private && token is null))
            await ErrorAsync(context, repo is null ? 404 : 401, "RepoNotFound", "Repository not found");
        else if (await AuthorizeWriteAsync(context, token, id.Contains('/') ? id.Split('/')[0] : "", $"You don't have the rights to write to the {type} repo {id}") is null)
            return true;
        else if (segments[^1] == "batch")
            await BatchAsync(context, repo);
        else
            await VerifyAsync(context);
        return true;
    }

    /// <summary>
    /// The batch answer: transfer "basic"; per object, none of actions when the storage holds it already (from any repo),
    /// else an upload href on the storage host (no token needed, as a signed URL) and a verify href on the hub.
    /// </summary>
    async Task BatchAsync(HttpContext context, HubRepoState repo)
    {
        if (await ReadJsonAsync(context) is not { } body) return;
        using var _ = body;
        var json = body.RootElement;
        var operation = Text(json, "operation");
        if (operation is not ("upload" or "download") || !json.TryGetProperty("objects", out var objects) || objects.ValueKind != JsonValueKind.Array)
        {
            await ErrorAsync(context, 422, null, "Invalid batch request: an operation (upload or download) and objects are needed");
            return;
        }
        // The git-lfs spec: 409 for a hash algorithm the server does not know (huggingface_hub says sha256, the JS client sha_256).
        if (Text(json, "hash_algo") is { } algo && algo is not ("sha256" or "sha_256"))
        {
            await ErrorAsync(context, 409, null, $"Unsupported hash algorithm: {algo}");
            return;
        }
        var verify = $"{EndpointText}/{repo.Fixture.UrlPath}.git/info/lfs/objects/verify";
        var answers = objects.EnumerateArray().Select(o =>
        {
            var oid = Text(o, "oid") ?? "";
            long size = o.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : -1;
            var entry = new Dictionary<string, object?> { ["oid"] = oid, ["size"] = size };
            if (!IsSha256(oid) || size < 0)
                entry["error"] = new { code = 422, message = "Invalid object: oid must be a SHA-256 in hex and size a count of bytes" };
            else if (operation == "download")
            {
                if (storage.ContainsKey(oid)) entry["actions"] = new { download = new { href = StorageUrl(oid), header = new { } } };
                else entry["error"] = new { code = 404, message = "Object does not exist" };
            }
            else if (!storage.ContainsKey(oid))
            {
                entry["authenticated"] = true;
                entry["actions"] = new
                {
                    upload = new { href = new Uri(StorageEndpoint, $"lfs-upload/{oid}").AbsoluteUri, header = new { } },
                    verify = new { href = verify, header = new { } },
                };
            }
            return entry;
        }).ToList();
        await WriteJsonAsync(context, new { transfer = "basic", objects = answers, hash_algo = "sha256" }, contentType: LfsJson);
    }

    /// <summary>POST verify {oid,size}: 404 when nothing was PUT for it, 422 when the bytes PUT are not that object; else it is stored.</summary>
    async Task VerifyAsync(HttpContext context)
    {
        if (await ReadJsonAsync(context) is not { } body) return;
        using var _ = body;
        var oid = Text(body.RootElement, "oid") ?? "";
        long size = body.RootElement.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : -1;
        if (!IsSha256(oid) || size < 0)
            await ErrorAsync(context, 422, null, "Invalid object: oid must be a SHA-256 in hex and size a count of bytes");
        else if (!storage.ContainsKey(oid) && !uploads.ContainsKey(oid))
            await ErrorAsync(context, 404, null, $"Object {oid} was not uploaded");
        else if (TakeLfsObject(oid, size) is null)
            await ErrorAsync(context, 422, null, $"The object uploaded for {oid} does not match its oid and size {size}");
        else
            await WriteJsonAsync(context, new { }, contentType: LfsJson);
    }

    /// <summary>
    /// The bytes of a stored LFS object, or of one PUT whose SHA-256 and size check out (it is stored then: the JS
    /// client never calls verify, so the commit checks what it names); null when neither.
    /// </summary>
    byte[]? TakeLfsObject(string oid, long? size)
    {
        if (storage.TryGetValue(oid, out var stored)) return size is null || stored.Bytes.Length == size ? stored.Bytes : null;
        if (!uploads.TryGetValue(oid, out var bytes) || (size is not null && bytes.Length != size) || Hex(SHA256.HashData(bytes)) != oid) return null;
        storage.TryAdd(oid, new HubBlob("", bytes, isLfs: true));
        uploads.TryRemove(oid, out _);
        return bytes;
    }

    /// <summary>Makes a committed LFS file the storage's blob for its oid unless a blob with a path (for faults) is there.</summary>
    void StoreCommitted(HubBlob blob) => storage.AddOrUpdate(blob.Sha256!, blob, (_, old) => old.Path.Length == 0 ? blob : old);

    /// <summary>PUT /lfs-upload/SHA256 on the storage host: the body kept as sent (a bucket does not check it), 200 with an ETag.</summary>
    async Task ReceiveUploadAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var oid = path.StartsWith("/lfs-upload/", StringComparison.Ordinal) ? path["/lfs-upload/".Length..] : "";
        if (!IsSha256(oid))
        {
            context.Response.StatusCode = 404;
            return;
        }
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var bytes = buffer.ToArray();
        uploads[oid] = bytes;
        context.Response.StatusCode = 200;
        context.Response.Headers.ETag = Quoted(oid);
        context.Response.ContentLength = 0;
    }

    string StorageUrl(string sha256) => new Uri(StorageEndpoint, $"storage/{sha256}").AbsoluteUri;

    static bool IsSha256(string oid) => oid.Length == 64 && oid.All(char.IsAsciiHexDigitLower);
}
