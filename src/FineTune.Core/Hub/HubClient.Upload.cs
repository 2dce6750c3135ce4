using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Contracts.Transfers;

namespace FineTune.Core.Hub;

/// <summary>What a push did: the commit it made and the LFS objects it had to send (0 when the hub had them all).</summary>
public sealed record HubPushResult(HubRepo Repo, string Revision, string Commit, int Files, int LfsUploaded, long BytesUploaded);

public sealed partial class HubClient
{
    const string LfsJson = "application/vnd.git-lfs+json";

    /// <summary>The account the token belongs to (GET /api/whoami-v2): the namespace a bare repo name is created in.</summary>
    public async Task<string> WhoAmIAsync(CancellationToken cancel = default)
    {
        if (settings.Token is null) throw new InvalidInputException("pushing to the hub needs a token: set HF_TOKEN (or write it to $HF_HOME/token)");
        var me = await GetJsonAsync<JsonObject>(new Uri($"{EndpointBase}/api/whoami-v2"), cancel);
        return (string?)me?["name"] ?? throw new HubUnavailableException($"{EndpointBase}/api/whoami-v2: the hub's answer has no name");
    }

    /// <summary>
    /// Uploads <paramref name="files"/> (path in the repo, file on disk) as one commit on <paramref name="revision"/>,
    /// as huggingface_hub's upload_folder does over plain HTTP: create the repo (409: it exists), create the branch if
    /// it is not main, preupload (which files go by LFS), the LFS batch API with basic transfer (objects the hub has
    /// are not sent again), then the NDJSON commit with the small files inline. Nothing is committed unless every
    /// object is uploaded and verified first.
    /// </summary>
    public async Task<HubPushResult> PushAsync(HubRepo repo, IReadOnlyList<FolderFile> files, string revision, bool isPrivate, string summary, CancellationToken cancel = default)
    {
        if (settings.Token is null) throw new InvalidInputException("pushing to the hub needs a token: set HF_TOKEN (or write it to $HF_HOME/token)");
        if (settings.Offline) throw new InvalidInputException($"{repo}: HF_HUB_OFFLINE is set: nothing is pushed");
        await CreateRepoAsync(repo, isPrivate, cancel);
        if (revision != HubRevision.Default)
            await SendJsonAsync(HttpMethod.Post, new Uri($"{EndpointBase}/api/{repo.Type}s/{repo.Id}/branch/{Uri.EscapeDataString(revision)}"), new JsonObject(), cancel, HttpStatusCode.Conflict);
        var modes = await PreuploadAsync(repo, revision, files, cancel);
        var lfs = files.Where(f => modes[f.Name]).Select(f => (File: f, Oid: Sha256(f.Path), Size: new FileInfo(f.Path).Length)).ToList();
        var (sent, bytes) = await UploadLfsAsync(repo, revision, lfs, cancel);

        var body = new StringBuilder();
        void Line(string key, JsonObject value) => body.Append(new JsonObject { ["key"] = key, ["value"] = value }.ToJsonString()).Append('\n');
        Line("header", new JsonObject { ["summary"] = summary, ["description"] = "" });
        foreach (var f in files.Where(f => !modes[f.Name]))
            Line("file", new JsonObject { ["path"] = f.Name, ["content"] = Convert.ToBase64String(File.ReadAllBytes(f.Path)), ["encoding"] = "base64" });
        foreach (var (f, oid, size) in lfs) Line("lfsFile", new JsonObject { ["path"] = f.Name, ["algo"] = "sha256", ["oid"] = oid, ["size"] = size });
        var commitUrl = new Uri($"{EndpointBase}/api/{repo.Type}s/{repo.Id}/commit/{Uri.EscapeDataString(revision)}");
        var (response, _) = await SendAsync(HttpMethod.Post, commitUrl, 0, followAbsolute: false, cancel,
            () => new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson"));
        using (response)
        {
            var answer = await ReadJsonAsync<JsonObject>(response, commitUrl, cancel);
            var commit = (string?)answer?["commitOid"] ?? throw new HubUnavailableException($"{commitUrl}: the hub's commit answer has no commitOid");
            return new HubPushResult(repo, revision, commit, files.Count, sent, bytes);
        }
    }

    async Task CreateRepoAsync(HubRepo repo, bool isPrivate, CancellationToken cancel)
    {
        var parts = repo.Id.Split('/');
        var create = new JsonObject { ["name"] = parts[^1], ["private"] = isPrivate };
        if (parts.Length == 2) create["organization"] = parts[0];
        if (repo.Type == HubRepo.Dataset) create["type"] = "dataset";
        await SendJsonAsync(HttpMethod.Post, new Uri($"{EndpointBase}/api/repos/create"), create, cancel, HttpStatusCode.Conflict); // 409: it exists
    }

    /// <summary>Which files go by LFS (true) and which inline (false), as the hub decides from a sample of each.</summary>
    async Task<Dictionary<string, bool>> PreuploadAsync(HubRepo repo, string revision, IReadOnlyList<FolderFile> files, CancellationToken cancel)
    {
        var modes = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var chunk in files.Chunk(256))
        {
            var request = new JsonObject
            {
                ["files"] = new JsonArray([.. chunk.Select(f => (JsonNode)new JsonObject
                {
                    ["path"] = f.Name,
                    ["size"] = new FileInfo(f.Path).Length,
                    ["sample"] = Convert.ToBase64String(Sample(f.Path)),
                })]),
            };
            var answer = await SendJsonAsync(HttpMethod.Post, new Uri($"{EndpointBase}/api/{repo.Type}s/{repo.Id}/preupload/{Uri.EscapeDataString(revision)}"), request, cancel);
            foreach (var file in answer?["files"]?.AsArray() ?? [])
                if ((string?)file?["path"] is { } path) modes[path] = (string?)file?["uploadMode"] == "lfs";
        }
        foreach (var f in files)
            if (!modes.ContainsKey(f.Name)) throw new HubUnavailableException($"{repo}: the hub's preupload answer leaves out {f.Name}");
        return modes;
    }

    /// <summary>The LFS batch API (basic transfer): PUT each object the hub asks for, then verify it.</summary>
    async Task<(int Sent, long Bytes)> UploadLfsAsync(HubRepo repo, string revision, IReadOnlyList<(FolderFile File, string Oid, long Size)> lfs, CancellationToken cancel)
    {
        if (lfs.Count == 0) return (0, 0);
        var batch = new JsonObject
        {
            ["operation"] = "upload",
            ["transfers"] = new JsonArray("basic"),
            ["objects"] = new JsonArray([.. lfs.DistinctBy(o => o.Oid).Select(o => (JsonNode)new JsonObject { ["oid"] = o.Oid, ["size"] = o.Size })]),
            ["hash_algo"] = "sha256",
            ["ref"] = new JsonObject { ["name"] = revision },
        };
        var url = new Uri($"{EndpointBase}/{repo.UrlPath}.git/info/lfs/objects/batch");
        var (response, _) = await SendAsync(HttpMethod.Post, url, 0, followAbsolute: false, cancel,
            () => new StringContent(batch.ToJsonString(), new MediaTypeHeaderValue(LfsJson)), [new("Accept", LfsJson)]);
        JsonObject? answer;
        using (response) answer = await ReadJsonAsync<JsonObject>(response, url, cancel);
        int sent = 0;
        long bytes = 0;
        foreach (var o in answer?["objects"]?.AsArray() ?? [])
        {
            if (o?["error"] is JsonObject error) throw new InvalidInputException($"{repo}: the hub refused LFS object {o["oid"]}: {error["message"]}");
            if (o?["actions"]?["upload"] is not JsonObject upload) continue; // the hub has it already
            var (file, oid, size) = lfs.First(x => x.Oid == (string?)o["oid"]);
            var (put, _) = await SendAsync(HttpMethod.Put, new Uri((string)upload["href"]!), 0, followAbsolute: true, cancel,
                () => new StreamContent(File.OpenRead(file.Path), 1 << 20), Headers(upload));
            put.Dispose();
            if (o["actions"]?["verify"] is JsonObject verify)
                await SendJsonAsync(HttpMethod.Post, new Uri((string)verify["href"]!), new JsonObject { ["oid"] = oid, ["size"] = size }, cancel, headers: Headers(verify));
            (sent, bytes) = (sent + 1, bytes + size);
        }
        return (sent, bytes);
    }

    static IEnumerable<KeyValuePair<string, string>> Headers(JsonObject action) =>
        action["header"] is JsonObject headers ? headers.Select(h => new KeyValuePair<string, string>(h.Key, (string?)h.Value ?? "")) : [];

    async Task<JsonObject?> SendJsonAsync(HttpMethod method, Uri url, JsonObject body, CancellationToken cancel, HttpStatusCode? answer = null,
        IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var (response, _) = await SendAsync(method, url, 0, followAbsolute: false, cancel, () => JsonContent.Create(body), headers, answer);
        using (response)
            return response.StatusCode == answer || response.Content.Headers.ContentLength == 0 ? null : await ReadJsonAsync<JsonObject>(response, url, cancel);
    }

    string EndpointBase => settings.Endpoint.AbsoluteUri.TrimEnd('/');

    static byte[] Sample(string path)
    {
        using var stream = File.OpenRead(path);
        var sample = new byte[Math.Min(512, stream.Length)];
        stream.ReadExactly(sample);
        return sample;
    }

    static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
