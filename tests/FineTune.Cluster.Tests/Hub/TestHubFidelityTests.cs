using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>
/// Hugging Face's own JS client (@huggingface/hub) downloads from the test hub: the cache it writes (blobs by etag,
/// relative snapshot links, refs), what scanCacheDir reads back, its errors for closed repos, and the requests it made.
/// </summary>
public sealed class TestHubFidelityTests : IDisposable
{
    readonly string cache = TinyModels.TempDir();

    public void Dispose() => Directory.Delete(cache, recursive: true);

    static void SkipWithoutNode()
    {
        if (JsHubClient.Unavailable is { } reason) Console.WriteLine($"skipped: {reason}");
        Skip.If(JsHubClient.Unavailable is not null, JsHubClient.Unavailable);
    }

    /// <summary>Every file of the commit is a relative link from snapshots/COMMIT/PATH to blobs/ETAG holding its bytes.</summary>
    static void AssertSnapshot(string repoFolder, HubCommit commit)
    {
        var snapshot = Path.Combine(repoFolder, "snapshots", commit.Id);
        Assert.Equal(commit.Files.Keys.Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(snapshot, f)).Order(StringComparer.Ordinal));
        foreach (var blob in commit.Files.Values)
        {
            var link = new FileInfo(Path.Combine(snapshot, blob.Path));
            Assert.False(Path.IsPathRooted(link.LinkTarget ?? throw new Xunit.Sdk.XunitException($"{blob.Path} is not a link")));
            Assert.Equal(Path.Combine(repoFolder, "blobs", blob.Etag), link.ResolveLinkTarget(returnFinalTarget: true)!.FullName);
            Assert.Equal(blob.Bytes, File.ReadAllBytes(link.FullName));
        }
    }

    [SkippableFact]
    public async Task The_js_client_downloads_the_model_into_the_cache_layout()
    {
        SkipWithoutNode();
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        var head = hub.Repo(HubFixtures.ModelId).Head;

        var run = JsHubClient.Download(hub.Endpoint, "model", HubFixtures.ModelId, "main", cache);

        Assert.True(run.ExitCode == 0, run.ToString());
        var repoFolder = Path.Combine(cache, "models--google-bert--bert-base-cased");
        Assert.Equal(Path.Combine(repoFolder, "snapshots", head.Id), run.Result);
        Assert.Equal(head.Id, File.ReadAllText(Path.Combine(repoFolder, "refs", "main")));
        AssertSnapshot(repoFolder, head);
        Assert.True(head.Files["model.safetensors"].IsLfs);

        // The order the client asks in: revision, the tree at the commit, then per file paths-info, a 1-byte probe, the body.
        var requests = hub.Requests;
        Assert.StartsWith($"/api/models/{HubFixtures.ModelId}/revision/main?", requests[0].PathAndQuery);
        Assert.Equal($"/api/models/{HubFixtures.ModelId}/tree/{head.Id}?recursive=true&expand=false", requests[1].PathAndQuery);
        Assert.Equal(head.Files.Count, requests.Count(r => r.Method == "POST" && r.PathAndQuery == $"/api/models/{HubFixtures.ModelId}/paths-info/{head.Id}"));
        Assert.Equal(head.Files.Count, requests.Count(r => r.Host == hub.Endpoint.Authority && r.Range == "bytes=0-0"));
        var storage = requests.Where(r => r.Host == hub.StorageEndpoint.Authority).ToList();
        Assert.Equal(2, storage.Count); // the probe and the body of model.safetensors
        Assert.All(requests, r => Assert.True(r.Status < 400, $"{r}"));
    }

    [SkippableFact]
    public async Task The_js_client_downloads_the_dataset_by_its_id_and_by_its_legacy_id_and_scans_both()
    {
        SkipWithoutNode();
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        var head = hub.Repo(HubFixtures.DatasetId).Head;

        var byId = JsHubClient.Download(hub.Endpoint, "dataset", HubFixtures.DatasetId, "main", cache);
        Assert.True(byId.ExitCode == 0, byId.ToString());
        Assert.DoesNotContain(hub.Requests, r => r.Status == 307);
        hub.ClearLog();
        var byLegacyId = JsHubClient.Download(hub.Endpoint, "dataset", HubFixtures.LegacyDatasetId, "main", cache);
        Assert.True(byLegacyId.ExitCode == 0, byLegacyId.ToString());

        foreach (var folder in new[] { "datasets--Yelp--yelp_review_full", "datasets--yelp_review_full" })
        {
            AssertSnapshot(Path.Combine(cache, folder), head);
            Assert.Equal(head.Id, File.ReadAllText(Path.Combine(cache, folder, "refs", "main")));
        }
        // Each API call for the old id was redirected once, relative, then answered under the new id.
        var requests = hub.Requests;
        Assert.Contains(requests, r => r.Status == 307 && r.PathAndQuery.StartsWith("/api/datasets/yelp_review_full/revision/main", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Status == 307 && r.PathAndQuery.StartsWith("/datasets/yelp_review_full/resolve/", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Status == 200 && r.PathAndQuery.StartsWith("/api/datasets/Yelp/yelp_review_full/tree/", StringComparison.Ordinal));

        using var scan = JsHubClient.Scan(cache);
        var repos = scan.RootElement.GetProperty("repos").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.Equal(["Yelp/yelp_review_full", "yelp_review_full"], repos.Keys.Order(StringComparer.Ordinal));
        foreach (var repo in repos.Values)
        {
            Assert.Equal("dataset", repo.GetProperty("type").GetString());
            var revision = Assert.Single(repo.GetProperty("revisions").EnumerateArray());
            Assert.Equal(head.Id, revision.GetProperty("commitOid").GetString());
            Assert.Equal(["main"], revision.GetProperty("refs").EnumerateArray().Select(r => r.GetString()));
            // scanCacheDir lists a snapshot's top level only: the shards under yelp_review_full/ are not in it.
            Assert.Equal([".gitattributes", "README.md"], revision.GetProperty("files").EnumerateArray().Select(f => Path.GetFileName(f.GetProperty("path").GetString()!)).Order(StringComparer.Ordinal));
        }
    }

    [SkippableFact]
    public async Task Private_and_gated_repos_need_the_right_token_which_never_reaches_the_storage()
    {
        SkipWithoutNode();
        await using var hub = await TestHub.StartAsync(HubFixtures.All());

        var anonymous = JsHubClient.Download(hub.Endpoint, "model", HubFixtures.PrivateModelId, "main", cache);
        Assert.True(anonymous.ExitCode == 1, anonymous.ToString());
        Assert.Contains("Repository not found", anonymous.Stderr);
        var ungated = JsHubClient.Download(hub.Endpoint, "model", HubFixtures.GatedModelId, "main", cache);
        Assert.True(ungated.ExitCode == 1, ungated.ToString());
        Assert.Contains("restricted", ungated.Stderr);
        var refused = JsHubClient.Download(hub.Endpoint, "model", HubFixtures.GatedModelId, "main", cache, TestHub.ReaderToken);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("not in the authorized list", refused.Stderr);
        var bad = JsHubClient.Download(hub.Endpoint, "model", HubFixtures.ModelId, "main", cache, "not-a-hub-token");
        Assert.True(bad.ExitCode == 1, bad.ToString());
        Assert.Contains("hf_", bad.Stderr); // the client refuses a token that does not start with hf_ before asking

        hub.ClearLog();
        var reader = JsHubClient.Download(hub.Endpoint, "model", HubFixtures.PrivateModelId, "main", cache, TestHub.ReaderToken);
        Assert.True(reader.ExitCode == 0, reader.ToString());
        AssertSnapshot(Path.Combine(cache, "models--finetune-test--private-bert"), hub.Repo(HubFixtures.PrivateModelId).Head);
        var member = JsHubClient.Download(hub.Endpoint, "model", HubFixtures.GatedModelId, "main", cache, TestHub.GatedMemberToken);
        Assert.True(member.ExitCode == 0, member.ToString());
        AssertSnapshot(Path.Combine(cache, "models--finetune-test--gated-bert"), hub.Repo(HubFixtures.GatedModelId).Head);

        var requests = hub.Requests;
        Assert.All(requests.Where(r => r.Host == hub.Endpoint.Authority), r => Assert.True(r.ValidToken, $"{r}"));
        Assert.All(requests.Where(r => r.Host == hub.StorageEndpoint.Authority), r => Assert.False(r.AuthorizationSent, $"{r}"));
    }

    [SkippableFact]
    public async Task A_snapshot_follows_the_tree_pages()
    {
        SkipWithoutNode();
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        hub.TreePageSize = 2;
        var head = hub.Repo(HubFixtures.DatasetId).Head;

        var run = JsHubClient.Download(hub.Endpoint, "dataset", HubFixtures.DatasetId, "main", cache);

        Assert.True(run.ExitCode == 0, run.ToString());
        AssertSnapshot(Path.Combine(cache, "datasets--Yelp--yelp_review_full"), head);
        var pages = hub.Requests.Where(r => r.PathAndQuery.Contains("/tree/", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, pages.Count); // 5 files and a folder, 2 a page
        Assert.Equal(2, pages.Count(p => p.PathAndQuery.Contains("cursor=", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public async Task One_file_lands_under_the_commit_paths_info_names()
    {
        SkipWithoutNode();
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        var repo = hub.Repo(HubFixtures.ModelId);
        var repoFolder = Path.Combine(cache, "models--google-bert--bert-base-cased");

        var readme = JsHubClient.DownloadFile(hub.Endpoint, "model", HubFixtures.ModelId, "main", cache, "README.md");
        var tagged = JsHubClient.DownloadFile(hub.Endpoint, "model", HubFixtures.ModelId, "v1.0", cache, "README.md");
        var config = JsHubClient.DownloadFile(hub.Endpoint, "model", HubFixtures.ModelId, "main", cache, "config.json");

        foreach (var run in new[] { readme, tagged, config }) Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(Path.Combine(repoFolder, "snapshots", repo.Head.Id, "README.md"), readme.Result);
        Assert.Equal(repo.Head.Files["README.md"].Bytes, File.ReadAllBytes(readme.Result));
        Assert.Equal(repo.Refs["v1.0"].Files["README.md"].Bytes, File.ReadAllBytes(tagged.Result));
        // For a branch, the client files a file under its lastCommit, not the branch's head: config.json did not change
        // since v1.0, so it lands in v1.0's snapshot (the JS client's behaviour on the real hub too). No refs are written.
        Assert.Equal(Path.Combine(repoFolder, "snapshots", repo.Refs["v1.0"].Id, "config.json"), config.Result);
        Assert.False(Directory.Exists(Path.Combine(repoFolder, "refs")));
    }
}
