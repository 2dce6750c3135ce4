using System.Text;
using FineTune.Core.Hub;

namespace FineTune.Core.Tests.Hub;

/// <summary>The hub client's protocol, cache and faults against an in-memory hub (FakeHub), each asserted on its request log.</summary>
public class HubClientTests
{
    static readonly HubRepo Bert = HubRepo.Parse(HubRepo.Model, "google-bert/bert-base-cased", "--model");
    static readonly byte[] Config = Encoding.UTF8.GetBytes("{\"model_type\": \"bert\"}\n");
    static readonly byte[] Weights = [.. Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 7))];

    static (HubClient Client, FakeHub Hub) Setup(string? token = "secret", bool offline = false, string? cache = null)
    {
        var hub = new FakeHub();
        hub.Add(Bert.UrlPath, "config.json", Config);
        hub.Add(Bert.UrlPath, "model.safetensors", Weights, lfs: true);
        var settings = new HubSettings(new Uri(FakeHub.Endpoint), token, offline, cache ?? Directory.CreateTempSubdirectory("finetune-hub-").FullName);
        return (new HubClient(settings, hub) { RetryDelays = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero] }, hub);
    }

    [Fact]
    public async Task Files_land_in_the_shared_cache_layout_and_the_token_goes_to_the_hub_only()
    {
        var (client, hub) = Setup();
        var config = await client.DownloadAsync(Bert, "main", "config.json");
        var weights = await client.DownloadAsync(Bert, "main", "model.safetensors");
        Assert.Equal(Config, File.ReadAllBytes(config));
        Assert.Equal(Weights, File.ReadAllBytes(weights));
        var repo = client.Cache.RepoDir(Bert);
        Assert.Equal(Path.Combine(repo, "snapshots", FakeHub.Commit, "config.json"), config);
        Assert.Equal($"../../blobs/{FakeHub.Etag(Config, false)}", new FileInfo(config).LinkTarget);
        Assert.Equal($"../../blobs/{FakeHub.Etag(Weights, true)}", new FileInfo(weights).LinkTarget);
        Assert.Equal(FakeHub.Commit, File.ReadAllText(Path.Combine(repo, "refs", "main")));
        Assert.All(hub.Log.Where(r => r.Url.StartsWith(FakeHub.Endpoint, StringComparison.Ordinal)), r => Assert.Equal("secret", r.Auth));
        Assert.All(hub.Log.Where(r => r.Url.StartsWith(FakeHub.Storage, StringComparison.Ordinal)), r => Assert.Null(r.Auth)); // another host: no token
        Assert.Equal(["HEAD", "GET", "HEAD", "GET"], hub.Log.Select(r => r.Method));

        int before = hub.Log.Count;
        Assert.Equal(config, await client.DownloadAsync(Bert, FakeHub.Commit, "config.json")); // a cached commit needs no network
        Assert.Equal(before, hub.Log.Count);
    }

    [Fact]
    public async Task A_renamed_repo_is_followed_through_its_relative_redirect()
    {
        var (client, hub) = Setup();
        hub.Renamed["bert-base-cased"] = Bert.UrlPath;
        var legacy = HubRepo.Parse(HubRepo.Model, "bert-base-cased", "--model");
        var file = await client.DownloadAsync(legacy, "main", "config.json");
        Assert.Equal(Config, File.ReadAllBytes(file));
        Assert.Contains(hub.Log, r => r.Method == "HEAD" && r.Url == $"{FakeHub.Endpoint}/{Bert.UrlPath}/resolve/main/config.json" && r.Auth == "secret");
    }

    [Fact]
    public async Task A_download_cut_mid_file_resumes_with_range_and_gets_only_the_rest()
    {
        var (client, hub) = Setup();
        hub.CutAfter = 1_000_000;
        var weights = await client.DownloadAsync(Bert, "main", "model.safetensors");
        Assert.Equal(Weights, File.ReadAllBytes(weights));
        var gets = hub.Log.Where(r => r.Method == "GET").ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Equal("bytes=1000000-", gets[1].Range);
        Assert.False(File.Exists(client.Cache.IncompletePath(Bert, FakeHub.Etag(Weights, true))));
    }

    [Fact]
    public async Task A_blob_that_does_not_match_its_etag_is_refused_and_removed()
    {
        var (client, hub) = Setup();
        hub.Corrupt = [.. Weights.Select(b => (byte)(b ^ 1))];
        var e = await Assert.ThrowsAsync<HubUnavailableException>(() => client.DownloadAsync(Bert, "main", "model.safetensors"));
        Assert.Contains("do not match the hub's etag", e.Message);
        var etag = FakeHub.Etag(Weights, true);
        Assert.False(File.Exists(client.Cache.BlobPath(Bert, etag)) || File.Exists(client.Cache.IncompletePath(Bert, etag)));
        Assert.Null(client.Cache.Find(Bert, "main", "model.safetensors"));
    }

    [Fact]
    public async Task Server_errors_are_retried_and_then_end_in_one_line()
    {
        var (client, hub) = Setup();
        hub.Failures = 2;
        Assert.Equal(Config, File.ReadAllBytes(await client.DownloadAsync(Bert, "main", "config.json")));
        Assert.Equal(4, hub.Log.Count); // two 500s, then HEAD and GET

        var (failing, down) = Setup();
        down.Failures = 100;
        var e = await Assert.ThrowsAsync<HubUnavailableException>(() => failing.DownloadAsync(Bert, "main", "config.json"));
        Assert.Equal($"{FakeHub.Endpoint}/{Bert.UrlPath}/resolve/main/config.json: HTTP 500 after 4 attempts", e.Message);
        Assert.Equal(4, down.Log.Count);
    }

    [Theory]
    [InlineData("nobody/nothing", "main", "config.json", "repository not found (a private or gated repo needs HF_TOKEN)")]
    [InlineData("google-bert/bert-base-cased", "v9", "config.json", "revision not found")]
    [InlineData("google-bert/bert-base-cased", "main", "tokenizer.json", "no such file at this revision")]
    [InlineData("meta/gated", "main", "config.json", "a gated repo: accept its conditions on the hub with this account, then set HF_TOKEN")]
    public async Task Missing_and_closed_repos_revisions_and_files_are_one_line_each(string id, string revision, string path, string problem)
    {
        var (client, hub) = Setup();
        hub.Gated.Add("meta/gated");
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => client.DownloadAsync(HubRepo.Parse(HubRepo.Model, id, "--model"), revision, path));
        Assert.Equal($"hub.test/{id}/resolve/{revision}/{path}: {problem}", e.Message);
        Assert.Single(hub.Log); // not retried: bad input does not get better
    }

    [Fact]
    public async Task Offline_the_cache_answers_and_a_missing_file_is_one_line()
    {
        var (online, _) = Setup();
        await online.DownloadAsync(Bert, "main", "config.json");
        var (offline, hub) = Setup(offline: true, cache: online.Cache.Root);
        Assert.Equal(Config, File.ReadAllBytes(await offline.DownloadAsync(Bert, "main", "config.json")));
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => offline.DownloadAsync(Bert, "main", "vocab.txt"));
        Assert.Equal($"google-bert/bert-base-cased@main: 'vocab.txt' is not in the cache ({online.Cache.Root}) and HF_HUB_OFFLINE is set: nothing is downloaded", e.Message);
        Assert.Empty(hub.Log);
    }

    [Fact]
    public async Task Two_downloads_of_one_file_at_once_end_with_one_blob_and_one_full_get()
    {
        var (a, hub) = Setup();
        hub.Delay = TimeSpan.FromMilliseconds(200);
        var b = new HubClient(new HubSettings(new Uri(FakeHub.Endpoint), null, false, a.Cache.Root), hub) { RetryDelays = [] };
        var both = await Task.WhenAll(a.DownloadAsync(Bert, "main", "model.safetensors"), b.DownloadAsync(Bert, "main", "model.safetensors"));
        Assert.Equal(both[0], both[1]);
        Assert.Single(hub.Log, r => r.Method == "GET");
        Assert.Single(Directory.GetFiles(Path.Combine(a.Cache.RepoDir(Bert), "blobs")));
    }

    [Fact]
    public void Settings_come_from_the_environment_and_never_print_the_token()
    {
        var home = Directory.CreateTempSubdirectory("finetune-hf-home-").FullName;
        File.WriteAllText(Path.Combine(home, "token"), "hf_fromfile\n");
        var env = new Dictionary<string, string> { ["HF_HOME"] = home, ["HF_ENDPOINT"] = "http://127.0.0.1:9/", ["HF_HUB_OFFLINE"] = "1" };
        var settings = HubSettings.FromEnvironment(env.GetValueOrDefault);
        Assert.Equal(("http://127.0.0.1:9/", "hf_fromfile", true, Path.Combine(home, "hub")), (settings.Endpoint.AbsoluteUri, settings.Token, settings.Offline, settings.CacheRoot));
        env["HF_TOKEN"] = "hf_fromenv";
        Assert.Equal("hf_fromenv", HubSettings.FromEnvironment(env.GetValueOrDefault).Token);
        Assert.DoesNotContain("hf_", HubSettings.FromEnvironment(env.GetValueOrDefault).ToString());
        Assert.Equal("https://huggingface.co/", HubSettings.FromEnvironment(_ => null).Endpoint.AbsoluteUri);
        env["HF_ENDPOINT"] = "ftp://x";
        Assert.StartsWith("HF_ENDPOINT: 'ftp://x'", Assert.Throws<InvalidInputException>(() => HubSettings.FromEnvironment(env.GetValueOrDefault)).Message);
    }
}
