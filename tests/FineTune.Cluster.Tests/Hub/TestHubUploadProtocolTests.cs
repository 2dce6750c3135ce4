using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>The test hub's upload protocol read raw: whoami, who may write, repo creation, preupload, the LFS batch API and the commit.</summary>
public class TestHubUploadProtocolTests
{
    const string Target = "me/target";

    /// <summary>An answer: status, X-Error-Code, Content-Type and the JSON body (undefined when empty).</summary>
    sealed record Reply(int Status, string? ErrorCode, string? ContentType, JsonElement Json)
    {
        public string Error => Json.GetProperty("error").GetString()!;
    }

    static async Task<Reply> SendAsync(HubCall call, HttpMethod method, string pathOrUrl, string? token, string? body = null, string contentType = "application/json", byte[]? bytes = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(call.Hub.Endpoint, pathOrUrl));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
        if (bytes is not null) request.Content = new ByteArrayContent(bytes);
        using var response = await call.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        var code = response.Headers.TryGetValues("X-Error-Code", out var v) ? v.First() : null;
        return new Reply((int)response.StatusCode, code, response.Content.Headers.ContentType?.MediaType, json);
    }

    /// <summary>A hub and a client that follows no redirect.</summary>
    sealed class HubCall(TestHub hub) : IAsyncDisposable
    {
        public TestHub Hub { get; } = hub;
        public HttpClient Http { get; } = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Hub.DisposeAsync();
        }
    }

    static async Task<HubCall> StartAsync(bool withTarget = true)
    {
        var call = new HubCall(await TestHub.StartAsync(HubFixtures.All()));
        if (withTarget) Assert.Equal(200, (await CreateAsync(call, """{"name":"target","organization":"me","type":"model"}""")).Status);
        return call;
    }

    static Task<Reply> CreateAsync(HubCall call, string body, string? token = TestHub.WriterToken) => SendAsync(call, HttpMethod.Post, "api/repos/create", token, body);

    static string Ndjson(params object[] lines) => string.Join('\n', lines.Select(l => JsonSerializer.Serialize(l)));

    static Task<Reply> CommitAsync(HubCall call, string body, string revision = "main", string? token = TestHub.WriterToken) =>
        SendAsync(call, HttpMethod.Post, $"api/models/{Target}/commit/{revision}", token, body, "application/x-ndjson");

    static object Header(string summary, string? parent = null) => new { key = "header", value = new { summary, description = "", parentCommit = parent } };

    static object SmallFile(string path, string text) => new { key = "file", value = new { path, content = Convert.ToBase64String(Encoding.UTF8.GetBytes(text)), encoding = "base64" } };

    static object LfsFile(string path, byte[] bytes) => new { key = "lfsFile", value = new { path, algo = "sha256", oid = Sha256(bytes), size = bytes.Length } };

    static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Theory]
    [InlineData(TestHub.WriterToken, 200, "me", "write")]
    [InlineData(TestHub.ReaderToken, 200, "reader", "read")]
    [InlineData(null, 401, null, null)]
    [InlineData("hf_not_a_real_token", 401, null, null)]
    public async Task Whoami_names_the_tokens_account_its_orgs_and_role(string? token, int status, string? name, string? role)
    {
        await using var call = await StartAsync(withTarget: false);
        var reply = await SendAsync(call, HttpMethod.Get, "api/whoami-v2", token);
        Assert.Equal(status, reply.Status);
        if (status != 200)
        {
            Assert.Equal("Invalid credentials in Authorization header", reply.Error);
            return;
        }
        Assert.Equal(("user", name, role), (reply.Json.GetProperty("type").GetString(), reply.Json.GetProperty("name").GetString(),
            reply.Json.GetProperty("auth").GetProperty("accessToken").GetProperty("role").GetString()));
        Assert.Equal(name == "me" ? new[] { "finetune-test" } : [], reply.Json.GetProperty("orgs").EnumerateArray().Select(o => o.GetProperty("name").GetString()));
    }

    [Theory]
    [InlineData("create", null, 401, "Invalid username or password.")]
    [InlineData("create", TestHub.ReaderToken, 403, "you must use a write token")]
    [InlineData("create-elsewhere", TestHub.WriterToken, 403, "You don't have the rights to create a model under the namespace \"someone-else\"")]
    [InlineData("commit", null, 401, "Invalid username or password.")]
    [InlineData("commit", TestHub.ReaderToken, 403, "you must use a write token")]
    [InlineData("commit-elsewhere", TestHub.WriterToken, 403, "You don't have the rights to write to the model repo google-bert/bert-base-cased")]
    [InlineData("preupload", TestHub.ReaderToken, 403, "you must use a write token")]
    [InlineData("batch-elsewhere", TestHub.WriterToken, 403, "You don't have the rights to write to the model repo google-bert/bert-base-cased")]
    public async Task A_write_needs_a_write_token_of_the_repos_namespace(string what, string? token, int status, string error)
    {
        await using var call = await StartAsync();
        var commit = Ndjson(Header("nope"), SmallFile("x.txt", "x"));
        var reply = what switch
        {
            "create" => await CreateAsync(call, """{"name":"other","organization":"me"}""", token),
            "create-elsewhere" => await CreateAsync(call, """{"name":"other","organization":"someone-else"}""", token),
            "commit" => await CommitAsync(call, commit, token: token),
            "commit-elsewhere" => await SendAsync(call, HttpMethod.Post, $"api/models/{HubFixtures.ModelId}/commit/main", token, commit, "application/x-ndjson"),
            "preupload" => await SendAsync(call, HttpMethod.Post, $"api/models/{Target}/preupload/main", token, """{"files":[{"path":"a.txt","size":1,"sample":"YQ=="}]}"""),
            _ => await SendAsync(call, HttpMethod.Post, $"{HubFixtures.ModelId}.git/info/lfs/objects/batch", token,
                $$"""{"operation":"upload","transfers":["basic"],"objects":[{"oid":"{{new string('a', 64)}}","size":1}]}""", "application/vnd.git-lfs+json"),
        };
        Assert.Equal((status, null), (reply.Status, reply.ErrorCode)); // the hub names no error code for these
        Assert.Contains(error, reply.Error);
        Assert.Null(call.Hub.FindRepo("model", "me/other") ?? call.Hub.FindRepo("model", "someone-else/other"));
        Assert.Single(call.Hub.Repo(Target).Commits);
        Assert.Equal(2, call.Hub.Repo(HubFixtures.ModelId).Commits.Count);
    }

    [Fact]
    public async Task A_created_repo_has_the_hubs_gitattributes_is_served_everywhere_and_cannot_be_created_twice()
    {
        await using var call = await StartAsync(withTarget: false);
        // huggingface_hub's form (private as a bool, no type for a model), then the JS client's (visibility, type).
        var python = await CreateAsync(call, """{"name":"target","organization":"me","private":true}""");
        var js = await CreateAsync(call, """{"name":"data","organization":"finetune-test","visibility":"public","type":"dataset"}""");

        Assert.Equal((200, $"{call.Hub.Endpoint.AbsoluteUri}me/target", "me/target"), (python.Status, python.Json.GetProperty("url").GetString(), python.Json.GetProperty("name").GetString()));
        Assert.Equal($"{call.Hub.Endpoint.AbsoluteUri}datasets/finetune-test/data", js.Json.GetProperty("url").GetString());
        Assert.Equal(24, js.Json.GetProperty("id").GetString()!.Length);
        var head = call.Hub.Repo(Target).Head;
        Assert.Equal([".gitattributes"], head.Files.Keys);
        var revision = await SendAsync(call, HttpMethod.Get, $"api/models/{Target}/revision/main", TestHub.ReaderToken);
        Assert.Equal((head.Id, true), (revision.Json.GetProperty("sha").GetString(), revision.Json.GetProperty("private").GetBoolean()));
        Assert.Equal(401, (await SendAsync(call, HttpMethod.Get, $"api/models/{Target}", null)).Status); // private: hidden without a token
        Assert.Equal(200, (await SendAsync(call, HttpMethod.Get, "api/datasets/finetune-test/data?expand[]=likes", null)).Status);
        var tree = await SendAsync(call, HttpMethod.Get, "api/datasets/finetune-test/data/tree/main", null);
        Assert.Equal([".gitattributes"], tree.Json.EnumerateArray().Select(e => e.GetProperty("path").GetString()));

        var batch = await SendAsync(call, HttpMethod.Post, "datasets/finetune-test/data.git/info/lfs/objects/batch", TestHub.WriterToken,
            $$"""{"operation":"upload","objects":[{"oid":"{{new string('b', 64)}}","size":3}]}""");
        Assert.Equal($"{call.Hub.Endpoint.AbsoluteUri}datasets/finetune-test/data.git/info/lfs/objects/verify",
            batch.Json.GetProperty("objects")[0].GetProperty("actions").GetProperty("verify").GetProperty("href").GetString());

        var again = await CreateAsync(call, """{"name":"target","organization":"me","type":"model"}""");
        var fixture = await CreateAsync(call, """{"name":"private-bert","organization":"finetune-test"}""");
        Assert.Equal((409, null, "You already created this model repo"), (again.Status, again.ErrorCode, again.Error));
        Assert.Equal(409, fixture.Status);
        Assert.Equal(head, call.Hub.Repo(Target).Head);
    }

    [Fact]
    public async Task Preupload_names_lfs_by_extension_or_size_and_the_current_oid()
    {
        await using var call = await StartAsync();
        var reply = await SendAsync(call, HttpMethod.Post, $"api/models/{Target}/preupload/main", TestHub.WriterToken,
            $$"""{"files":[{"path":"README.md","size":10,"sample":"IyBoaQ=="},{"path":"w.safetensors","size":10,"sample":""},{"path":"big.txt","size":{{(10 << 20) + 1}},"sample":""},{"path":".gitattributes","size":5,"sample":""}]}""");
        Assert.Equal(200, reply.Status);
        var files = reply.Json.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!);
        Assert.Equal(["regular", "lfs", "lfs", "regular"], new[] { "README.md", "w.safetensors", "big.txt", ".gitattributes" }.Select(p => files[p].GetProperty("uploadMode").GetString()));
        Assert.All(files.Values, f => Assert.False(f.GetProperty("shouldIgnore").GetBoolean()));
        Assert.Equal(call.Hub.Repo(Target).Head.Files[".gitattributes"].GitOid, files[".gitattributes"].GetProperty("oid").GetString());
        Assert.False(files["README.md"].TryGetProperty("oid", out _));
        var noBranch = await SendAsync(call, HttpMethod.Post, $"api/models/{Target}/preupload/nope", TestHub.WriterToken, """{"files":[]}""");
        Assert.Equal((404, "RevisionNotFound"), (noBranch.Status, noBranch.ErrorCode));
    }

    [Fact]
    public async Task The_batch_api_hands_out_uploads_for_new_objects_only_and_verify_checks_the_bytes()
    {
        await using var call = await StartAsync();
        var known = call.Hub.Repo(HubFixtures.ModelId).Head.Files["model.safetensors"];
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var batch = $$"""{"operation":"upload","transfers":["basic","multipart","xet"],"hash_algo":"sha_256","ref":{"name":"main"},"objects":[{"oid":"{{known.Sha256}}","size":{{known.Bytes.Length}}},{"oid":"{{Sha256(bytes)}}","size":{{bytes.Length}}}]}""";

        var reply = await SendAsync(call, HttpMethod.Post, $"{Target}.git/info/lfs/objects/batch", TestHub.WriterToken, batch, "application/vnd.git-lfs+json");

        Assert.Equal((200, "application/vnd.git-lfs+json", "basic"), (reply.Status, reply.ContentType, reply.Json.GetProperty("transfer").GetString()));
        var objects = reply.Json.GetProperty("objects").EnumerateArray().ToList();
        Assert.False(objects[0].TryGetProperty("actions", out _)); // a fixture's object: stored already, from another repo
        var actions = objects[1].GetProperty("actions");
        var upload = new Uri(actions.GetProperty("upload").GetProperty("href").GetString()!);
        var verify = actions.GetProperty("verify").GetProperty("href").GetString()!;
        Assert.Equal((call.Hub.StorageEndpoint.Authority, $"/lfs-upload/{Sha256(bytes)}"), (upload.Authority, upload.AbsolutePath));
        Assert.Equal($"{call.Hub.Endpoint.AbsoluteUri}{Target}.git/info/lfs/objects/verify", verify);

        string Verify(long size) => $$"""{"oid":"{{Sha256(bytes)}}","size":{{size}}}""";
        Assert.Equal(404, (await SendAsync(call, HttpMethod.Post, verify, TestHub.WriterToken, Verify(bytes.Length))).Status); // nothing PUT yet
        call.Hub.FailNext("/lfs-upload/", 1, 503);
        Assert.Equal(503, (await SendAsync(call, HttpMethod.Put, upload.AbsoluteUri, null, bytes: bytes)).Status);
        Assert.Equal(200, (await SendAsync(call, HttpMethod.Put, upload.AbsoluteUri, null, bytes: bytes)).Status); // no token: a signed URL
        Assert.Equal(422, (await SendAsync(call, HttpMethod.Post, verify, TestHub.WriterToken, Verify(bytes.Length - 1))).Status);
        Assert.False(call.Hub.StoresObject(Sha256(bytes)));
        Assert.Equal(200, (await SendAsync(call, HttpMethod.Post, verify, TestHub.WriterToken, Verify(bytes.Length))).Status);
        Assert.True(call.Hub.StoresObject(Sha256(bytes)));
        var second = await SendAsync(call, HttpMethod.Post, $"{Target}.git/info/lfs/objects/batch", TestHub.WriterToken, batch, "application/vnd.git-lfs+json");
        Assert.All(second.Json.GetProperty("objects").EnumerateArray(), o => Assert.False(o.TryGetProperty("actions", out _)));
        var put = call.Hub.Requests.Last(r => r.Method == "PUT");
        Assert.Equal((bytes.Length, false), (put.RequestBytes, put.AuthorizationSent));
    }

    [Fact]
    public async Task A_commit_applies_all_or_nothing_on_the_branch_head()
    {
        await using var call = await StartAsync();
        var repo = call.Hub.Repo(Target);
        var initial = repo.Head;
        var missing = RandomNumberGenerator.GetBytes(1000);

        var bad = await CommitAsync(call, Ndjson(Header("bad"), SmallFile("README.md", "# hi\n"), LfsFile("weights.safetensors", missing)));
        Assert.Equal(422, bad.Status);
        Assert.Contains("weights.safetensors", bad.Error);
        Assert.Equal(initial, repo.Head); // README.md was valid, and is not committed either

        var weights = RandomNumberGenerator.GetBytes(2000);
        var batch = $$"""{"operation":"upload","objects":[{"oid":"{{Sha256(weights)}}","size":{{weights.Length}}}]}""";
        var href = (await SendAsync(call, HttpMethod.Post, $"{Target}.git/info/lfs/objects/batch", TestHub.WriterToken, batch)).Json
            .GetProperty("objects")[0].GetProperty("actions").GetProperty("upload").GetProperty("href").GetString()!;
        Assert.Equal(200, (await SendAsync(call, HttpMethod.Put, href, null, bytes: weights)).Status);
        var good = await CommitAsync(call, Ndjson(Header("Add weights", initial.Id), SmallFile("README.md", "# hi\n"), SmallFile(".hidden/x.txt", "kept"), LfsFile("weights.safetensors", weights)));

        Assert.Equal(200, good.Status);
        var head = repo.Head;
        Assert.Equal((true, head.Id, $"{call.Hub.Endpoint.AbsoluteUri}{Target}/commit/{head.Id}"),
            (good.Json.GetProperty("success").GetBoolean(), good.Json.GetProperty("commitOid").GetString(), good.Json.GetProperty("commitUrl").GetString()));
        Assert.Same(initial, head.Parent);
        Assert.Equal("Add weights", head.Title);
        Assert.Equal(weights, head.Files["weights.safetensors"].Bytes);
        Assert.True(head.Files["weights.safetensors"].IsLfs);
        Assert.Equal("kept"u8.ToArray(), head.Files[".hidden/x.txt"].Bytes);
        Assert.Equal(initial, head.LastChange(".gitattributes"));
        Assert.Equal(head.Id, (await SendAsync(call, HttpMethod.Get, $"api/models/{Target}/revision/main", null)).Json.GetProperty("sha").GetString());

        var stale = await CommitAsync(call, Ndjson(Header("stale", initial.Id), SmallFile("a.txt", "a")));
        var gone = await CommitAsync(call, Ndjson(Header("delete"), new { key = "deletedFile", value = new { path = "nope.txt" } }));
        Assert.Equal((412, 404, "EntryNotFound"), (stale.Status, gone.Status, gone.ErrorCode));
        call.Hub.FailNext($"/api/models/{Target}/commit/", 1);
        Assert.Equal(500, (await CommitAsync(call, Ndjson(Header("fails"), SmallFile("a.txt", "a")))).Status);
        Assert.Equal(head, repo.Head);

        // The JSON form: a deletion and a folder's deletion.
        var json = await SendAsync(call, HttpMethod.Post, $"api/models/{Target}/commit/main", TestHub.WriterToken,
            """{"summary":"Remove","deletedFiles":[{"path":"README.md"}],"deletedFolders":[{"path":".hidden"}]}""");
        Assert.Equal(200, json.Status);
        Assert.Equal([".gitattributes", "weights.safetensors"], repo.Head.Files.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_branch_is_made_at_the_head_once_and_takes_commits_of_its_own()
    {
        await using var call = await StartAsync();
        var repo = call.Hub.Repo(Target);
        var main = repo.Head;

        Assert.Equal(200, (await SendAsync(call, HttpMethod.Post, $"api/models/{Target}/branch/hub_revision", TestHub.WriterToken, "{}")).Status);
        var again = await SendAsync(call, HttpMethod.Post, $"api/models/{Target}/branch/hub_revision", TestHub.WriterToken, "{}");
        Assert.Equal(409, again.Status);
        Assert.Equal(200, (await CommitAsync(call, Ndjson(Header("On the branch"), SmallFile("b.txt", "b")), "hub_revision")).Status);

        Assert.Equal(main, repo.Head);
        Assert.Equal(main, repo.Refs["hub_revision"].Parent);
        using var file = await call.Http.GetAsync(new Uri(call.Hub.Endpoint, $"{Target}/resolve/hub_revision/b.txt"));
        Assert.Equal("b", await file.Content.ReadAsStringAsync());
        Assert.Equal(404, (await CommitAsync(call, Ndjson(Header("x"), SmallFile("c.txt", "c")), "no-such-branch")).Status);
    }
}
