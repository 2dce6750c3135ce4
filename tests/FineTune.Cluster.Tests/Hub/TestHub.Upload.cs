using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace FineTune.Cluster.Tests.Hub;

// What @huggingface/hub 2.17.5 sends when it pushes (dist/chunk-*.mjs, createRepo, commitIter, whoAmI):
// createRepo: POST /api/repos/create {"name","organization","visibility"?,"type","license"?,"files"?:[{path,content
// (base64),encoding}]}, reads `url` and `id`; huggingface_hub sends {"name","organization"?,"private"?,"type"?}, reads `url`.
// commitIter: POST preupload/{branch} {"gitAttributes"?,"files":[{path,size,sample}]} (reads uploadMode only); LFS files
// hashed, then POST {repo}.git/info/lfs/objects/batch {"operation":"upload","transfers":["basic","multipart","xet"],
// "hash_algo":"sha_256","ref":{"name"},"objects":[{oid,size}]}: a `transfer` other than "xet" turns Xet off; an object
// without actions.upload is not sent; with basic it PUTs the whole file to actions.upload.href and never calls verify;
// then POST commit/{branch} as NDJSON (header, file for regular files, lfsFile {path,algo,size,oid}, deletedFile).
// It skips no unchanged file: every push is a commit. whoAmI reads `auth.accessToken.createdAt` only.

public sealed partial class TestHub
{
    // The .gitattributes the hub writes into a new repo: its usual LFS patterns.
    const string DefaultGitAttributes = """
        *.7z filter=lfs diff=lfs merge=lfs -text
        *.arrow filter=lfs diff=lfs merge=lfs -text
        *.bin filter=lfs diff=lfs merge=lfs -text
        *.bz2 filter=lfs diff=lfs merge=lfs -text
        *.ckpt filter=lfs diff=lfs merge=lfs -text
        *.gz filter=lfs diff=lfs merge=lfs -text
        *.h5 filter=lfs diff=lfs merge=lfs -text
        *.joblib filter=lfs diff=lfs merge=lfs -text
        *.msgpack filter=lfs diff=lfs merge=lfs -text
        *.npy filter=lfs diff=lfs merge=lfs -text
        *.npz filter=lfs diff=lfs merge=lfs -text
        *.onnx filter=lfs diff=lfs merge=lfs -text
        *.parquet filter=lfs diff=lfs merge=lfs -text
        *.pickle filter=lfs diff=lfs merge=lfs -text
        *.pkl filter=lfs diff=lfs merge=lfs -text
        *.pt filter=lfs diff=lfs merge=lfs -text
        *.pth filter=lfs diff=lfs merge=lfs -text
        *.safetensors filter=lfs diff=lfs merge=lfs -text
        *.tar filter=lfs diff=lfs merge=lfs -text
        *.zip filter=lfs diff=lfs merge=lfs -text
        *.zst filter=lfs diff=lfs merge=lfs -text
        *tfevents* filter=lfs diff=lfs merge=lfs -text

        """;

    /// <summary>GET /api/whoami-v2 and POST /api/repos/create; false for any other path.</summary>
    async Task<bool> ServeAccountAsync(HttpContext context, string? token)
    {
        var path = context.Request.Path.Value ?? "";
        if (path == "/api/whoami-v2" && HttpMethods.IsGet(context.Request.Method)) await WhoAmIAsync(context, token);
        else if (path == "/api/repos/create" && HttpMethods.IsPost(context.Request.Method)) await CreateRepoAsync(context, token);
        else return false;
        return true;
    }

    async Task WhoAmIAsync(HttpContext context, string? token)
    {
        if (token is null || !Users.TryGetValue(token, out var user))
        {
            await ErrorAsync(context, 401, null, "Invalid credentials in Authorization header");
            return;
        }
        await WriteJsonAsync(context, new Dictionary<string, object?>
        {
            ["type"] = "user",
            ["id"] = EntityId("user:" + user.Name),
            ["name"] = user.Name,
            ["fullname"] = user.Name,
            ["email"] = $"{user.Name}@testhub.invalid",
            ["emailVerified"] = true,
            ["isPro"] = false,
            ["canPay"] = false,
            ["periodEnd"] = null,
            ["avatarUrl"] = "",
            ["orgs"] = user.Orgs.Select(o => new
            {
                type = "org",
                id = EntityId("org:" + o),
                name = o,
                fullname = o,
                email = (string?)null,
                canPay = false,
                periodEnd = (long?)null,
                avatarUrl = "",
                roleInOrg = user.Role,
            }).ToList(),
            ["auth"] = new { type = "access_token", accessToken = new { displayName = $"testhub-{user.Name}", role = user.Role, createdAt = "2026-01-01T00:00:00.000Z" } },
        }, nullValues: true);
    }

    /// <summary>A 24-hex id as the hub gives its entities (repos, users, orgs), stable for a name.</summary>
    static string EntityId(string name) => Hex(SHA1.HashData(Encoding.UTF8.GetBytes(name)))[..24];

    /// <summary>
    /// The account of a write to <paramref name="owner"/>'s repos: 401 without a token, 403 for a read token or another
    /// namespace (null after answering). Invalid tokens were answered 401 before any route.
    /// </summary>
    async Task<HubUser?> AuthorizeWriteAsync(HttpContext context, string? token, string owner, string forbidden)
    {
        if (token is null || !Users.TryGetValue(token, out var user))
        {
            await ErrorAsync(context, 401, null, "Invalid username or password.");
            return null;
        }
        if (user.Role != "write")
        {
            await ErrorAsync(context, 403, null, "Forbidden: you must use a write token to upload to a repository.");
            return null;
        }
        if (!user.CanWrite(owner))
        {
            await ErrorAsync(context, 403, null, forbidden);
            return null;
        }
        return user;
    }

    /// <summary>POST /api/repos/create: an empty repo (one commit of .gitattributes and any files given) → {url, name, id}.</summary>
    async Task CreateRepoAsync(HttpContext context, string? token)
    {
        if (await ReadJsonAsync(context) is not { } body) return;
        using var _ = body;
        var json = body.RootElement;
        string? name = Text(json, "name"), organization = Text(json, "organization"), type = Text(json, "type") ?? "model";
        if (string.IsNullOrEmpty(name) || name.Contains('/') || type is not ("model" or "dataset"))
        {
            await ErrorAsync(context, 400, null, type is "model" or "dataset" ? "Invalid repo name" : $"Invalid repo type: {type} (the test hub serves models and datasets)");
            return;
        }
        // With no organization the repo goes under the caller's own name, as the hub does.
        var owner = organization ?? (token is not null && Users.TryGetValue(token, out var caller) ? caller.Name : "");
        if (await AuthorizeWriteAsync(context, token, owner, $"You don't have the rights to create a {type} under the namespace \"{owner}\"") is null) return;
        bool isPrivate = (json.TryGetProperty("private", out var p) && p.ValueKind == JsonValueKind.True)
            || Text(json, "visibility") is "private" or "protected";
        var files = new List<HubBlob> { new(".gitattributes", Encoding.UTF8.GetBytes(DefaultGitAttributes), isLfs: false) };
        if (json.TryGetProperty("files", out var given) && given.ValueKind == JsonValueKind.Array)
        {
            foreach (var file in given.EnumerateArray())
            {
                if (Decode(file) is not { } bytes || Text(file, "path") is not { Length: > 0 } filePath)
                {
                    await ErrorAsync(context, 400, null, "Invalid file in files");
                    return;
                }
                files.RemoveAll(f => f.Path == filePath);
                files.Add(new HubBlob(filePath, bytes, isLfs: false));
            }
        }
        var id = $"{owner}/{name}";
        var fixture = new HubRepoFixture(type, id, files.ToDictionary(f => f.Path, f => f.Bytes, StringComparer.Ordinal))
        {
            Visibility = isPrivate ? HubVisibility.Private : HubVisibility.Public,
        };
        var state = new HubRepoState(fixture, new HubCommit(null, files, "initial commit", "", DateTime.UtcNow));
        bool exists;
        lock (repos)
        {
            exists = repos.Any(r => r.Fixture.Type == type && r.Fixture.Id == id);
            if (!exists) repos.Add(state);
        }
        if (exists)
        {
            await ErrorAsync(context, 409, null, $"You already created this {type} repo");
            return;
        }
        await WriteJsonAsync(context, new { url = $"{EndpointText}/{fixture.UrlPath}", name = id, id = EntityId(id) });
    }

    /// <summary>The endpoint as clients join paths to it: no trailing slash.</summary>
    string EndpointText => Endpoint.AbsoluteUri.TrimEnd('/');

    /// <summary>preupload, commit and branch: a write to an existing repo by a token that may write to its namespace.</summary>
    async Task ServeWriteAsync(HttpContext context, HubRepoState repo, HubRoute route, string? token)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await ErrorAsync(context, 405, null, "Method not allowed");
            return;
        }
        var owner = route.Id.Contains('/') ? route.Id.Split('/')[0] : "";
        if (await AuthorizeWriteAsync(context, token, owner, $"You don't have the rights to write to the {route.Type} repo {route.Id}") is null) return;
        if (context.Request.Query.ContainsKey("create_pr"))
        {
            await ErrorAsync(context, 400, null, "Pull requests are not served by the test hub");
            return;
        }
        if (route.Action == "branch")
        {
            await CreateBranchAsync(context, repo, route.Revision ?? "");
            return;
        }
        if (route.Revision is not { } branch || !repo.IsBranch(branch))
        {
            await ErrorAsync(context, 404, "RevisionNotFound", $"Invalid rev id: {route.Revision}");
            return;
        }
        if (route.Action == "preupload") await PreuploadAsync(context, repo, branch);
        else await CommitAsync(context, repo, branch);
    }

    /// <summary>
    /// POST preupload/BRANCH {"files":[{path,size,sample}]} → {"files":[{path,uploadMode,shouldIgnore,oid?}]}: LFS by
    /// the fixtures' rule (an LFS extension or over 10 MiB); oid is the file's current id on the branch when it has one
    /// (its SHA-256 for an LFS file, else its git blob id), which huggingface_hub compares to skip unchanged files.
    /// </summary>
    async Task PreuploadAsync(HttpContext context, HubRepoState repo, string branch)
    {
        if (await ReadJsonAsync(context) is not { } body) return;
        using var _ = body;
        if (!body.RootElement.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array
            || files.EnumerateArray().Any(f => Text(f, "path") is not { Length: > 0 } || !f.TryGetProperty("size", out var s) || !s.TryGetInt64(out long _)))
        {
            await ErrorAsync(context, 400, null, "Invalid preupload request: files need a path and a size");
            return;
        }
        var head = repo.Resolve(branch)!;
        var answers = files.EnumerateArray().Select(f =>
        {
            var path = Text(f, "path")!;
            var entry = new Dictionary<string, object?>
            {
                ["path"] = path,
                ["uploadMode"] = HubBlob.IsLfsByRule(path, f.GetProperty("size").GetInt64()) ? "lfs" : "regular",
                ["shouldIgnore"] = false,
            };
            if (head.Files.TryGetValue(path, out var current)) entry["oid"] = current.Sha256 ?? current.GitOid;
            return entry;
        }).ToList();
        await WriteJsonAsync(context, new { files = answers });
    }

    /// <summary>POST branch/NAME {"startingPoint"?,"overwrite"?}: a branch at main's head or the starting point; 409 when it exists.</summary>
    async Task CreateBranchAsync(HttpContext context, HubRepoState repo, string name)
    {
        string? start = null;
        bool overwrite = false;
        if (context.Request.ContentLength != 0)
        {
            if (await ReadJsonAsync(context, allowEmpty: true) is not { } body) return;
            using var _ = body;
            start = Text(body.RootElement, "startingPoint");
            overwrite = body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("overwrite", out var o) && o.ValueKind == JsonValueKind.True;
        }
        if (name.Length == 0 || (start is null ? repo.Head : repo.Resolve(start)) is not { } at)
        {
            await ErrorAsync(context, name.Length == 0 ? 400 : 404, name.Length == 0 ? null : "RevisionNotFound", name.Length == 0 ? "Invalid branch name" : $"Invalid rev id: {start}");
            return;
        }
        if (!repo.TryCreateBranch(name, at, overwrite))
        {
            await ErrorAsync(context, 409, null, $"Reference already exists: refs/heads/{name}");
            return;
        }
        await WriteJsonAsync(context, new { });
    }

    /// <summary>The body as JSON; null after answering 400 when it is not JSON (an empty body reads as {} when allowed).</summary>
    static async Task<JsonDocument?> ReadJsonAsync(HttpContext context, bool allowEmpty = false)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        if (buffer.Length == 0 && allowEmpty) return JsonDocument.Parse("{}");
        try
        {
            var document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
        }
        catch (JsonException)
        {
        }
        await ErrorAsync(context, 400, null, "Invalid JSON body");
        return null;
    }

    /// <summary>A string property of a JSON object; null when absent or not a string.</summary>
    static string? Text(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A file's content as the commit API sends it: base64 (the clients' choice) or utf-8 text; null when invalid.</summary>
    static byte[]? Decode(JsonElement file)
    {
        if (Text(file, "content") is not { } content) return null;
        var encoding = Text(file, "encoding") ?? "utf-8";
        if (encoding == "utf-8") return Encoding.UTF8.GetBytes(content);
        if (encoding != "base64") return null;
        try
        {
            return Convert.FromBase64String(content);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
