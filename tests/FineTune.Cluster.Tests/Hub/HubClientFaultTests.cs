using FineTune.Cluster.Tests.Cli;
using FineTune.Core;
using FineTune.Core.Hub;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>Our hub client against the test hub's faults and refusals, each asserted on the hub's request log.</summary>
public sealed class HubClientFaultTests : IAsyncLifetime
{
    readonly string cache = TinyModels.TempDir();
    TestHub hub = null!;
    static readonly HubRepo Model = HubRepo.Parse(HubRepo.Model, HubFixtures.ModelId, "--model");

    public async Task InitializeAsync() => hub = await TestHub.StartAsync(HubFixtures.All());

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        Directory.Delete(cache, recursive: true);
    }

    HubClient Client(string? token = TestHub.ReaderToken, bool offline = false) =>
        new(new HubSettings(hub.Endpoint, token, offline, cache)) { RetryDelays = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero] };

    string Blob(string path) => Path.Combine(cache, Model.CacheFolder, "blobs", hub.Repo(HubFixtures.ModelId).Head.Files[path].Etag);

    [Fact]
    public async Task A_download_cut_mid_file_resumes_with_a_range_and_gets_only_the_rest()
    {
        using var client = Client();
        var weights = hub.Repo(HubFixtures.ModelId).Head.Files["model.safetensors"];
        hub.CutOnce("model.safetensors", 4096);
        var file = await client.DownloadAsync(Model, "main", "model.safetensors");
        Assert.Equal(weights.Bytes, File.ReadAllBytes(file));
        var bodies = hub.Requests.Where(r => r.Host == hub.StorageEndpoint.Authority).ToList();
        Assert.Equal([null, "bytes=4096-"], bodies.Select(r => r.Range));
        Assert.Equal(weights.Bytes.Length - 4096, bodies[1].BodyBytes);
        Assert.False(File.Exists(Blob("model.safetensors") + ".incomplete"));
    }

    [Fact]
    public async Task A_blob_with_a_wrong_hash_is_refused_and_removed()
    {
        using var client = Client();
        hub.CorruptOnce("model.safetensors");
        var e = await Assert.ThrowsAsync<HubUnavailableException>(() => client.DownloadAsync(Model, "main", "model.safetensors"));
        Assert.Contains("do not match the hub's etag", e.Message);
        Assert.False(File.Exists(Blob("model.safetensors")));
        Assert.False(File.Exists(Blob("model.safetensors") + ".incomplete"));
        Assert.False(Directory.Exists(Path.Combine(cache, Model.CacheFolder, "snapshots")));
        Assert.Single(hub.Requests, r => r.Host == hub.StorageEndpoint.Authority && r.Method == "GET");
    }

    [Fact]
    public async Task Server_errors_are_retried_and_a_hub_that_keeps_failing_is_one_line()
    {
        using var client = Client();
        hub.FailNext($"/{HubFixtures.ModelId}/resolve/", 2);
        await client.DownloadAsync(Model, "main", "config.json");
        Assert.Equal([500, 500, 200], hub.Requests.Where(r => r.Method == "HEAD").Select(r => r.Status));

        hub.FailNext($"/{HubFixtures.ModelId}/resolve/", 10);
        var e = await Assert.ThrowsAsync<HubUnavailableException>(() => client.DownloadAsync(Model, "main", "vocab.txt"));
        Assert.Equal($"{hub.Endpoint.AbsoluteUri}{HubFixtures.ModelId}/resolve/main/vocab.txt: HTTP 500 after 4 attempts", e.Message);
    }

    [Fact]
    public async Task A_private_repo_without_a_token_a_missing_repo_and_a_gated_repo_are_one_line_each()
    {
        using var anonymous = Client(token: null);
        using var reader = Client();
        var host = hub.Endpoint.Host;
        async Task<string> Refusal(HubClient client, string id) =>
            (await Assert.ThrowsAsync<InvalidInputException>(() => client.DownloadAsync(HubRepo.Parse(HubRepo.Model, id, "--model"), "main", "config.json"))).Message;

        Assert.Equal($"{host}/{HubFixtures.PrivateModelId}/resolve/main/config.json: repository not found (a private or gated repo needs HF_TOKEN, which is not set)",
            await Refusal(anonymous, HubFixtures.PrivateModelId));
        Assert.Equal($"{host}/finetune-test/no-such-model/resolve/main/config.json: repository not found (a private or gated repo needs HF_TOKEN)",
            await Refusal(reader, "finetune-test/no-such-model"));
        Assert.Equal($"{host}/{HubFixtures.GatedModelId}/resolve/main/config.json: a gated repo: accept its conditions on the hub with this account, then set HF_TOKEN",
            await Refusal(reader, HubFixtures.GatedModelId));
        Assert.Equal($"{host}/{HubFixtures.ModelId}/resolve/v9/config.json: revision not found",
            (await Assert.ThrowsAsync<InvalidInputException>(() => reader.DownloadAsync(Model, "v9", "config.json"))).Message);
        Assert.Equal([401, 404, 403, 404], hub.Requests.Select(r => r.Status));
    }

    [Fact]
    public void An_unreachable_hub_is_one_line_and_exit_code_1_after_the_retries()
    {
        var environment = new Dictionary<string, string> { ["HF_ENDPOINT"] = "http://127.0.0.1:9", ["HF_HUB_CACHE"] = cache, ["HF_TOKEN"] = "" };
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(2), null, environment, "tokenize", "--model", HubFixtures.ModelId, "--text", "x", "--json");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: HubUnavailableException: http://127.0.0.1:9/api/models/{HubFixtures.ModelId}/revision/main: ", line);
        Assert.EndsWith(" after 4 attempts", line);
    }

    [Fact]
    public void Large_downloads_show_bytes_and_rate_on_stderr()
    {
        var error = new StringWriter();
        var progress = new FineTune.Cli.HubDownloads.DownloadProgress(error);
        progress.Report("org/x small.json", 0, 1000); // small files say nothing
        progress.Report("org/x small.json", 1000, 1000);
        progress.Report("org/x model.safetensors", 1_000_000, 40_000_000);
        progress.Report("org/x model.safetensors", 2_000_000, 40_000_000); // within the second: not redrawn
        Thread.Sleep(1100);
        progress.Report("org/x model.safetensors", 20_000_000, 40_000_000);
        progress.Report("org/x model.safetensors", 40_000_000, 40_000_000);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^downloading org/x model.safetensors: 20.0 of 40.0 MB \([0-9.]+ MB/s\)$", lines[0]);
        Assert.Matches(@"^downloading org/x model.safetensors: 40.0 of 40.0 MB \([0-9.]+ MB/s\), done$", lines[1]);
    }

    [Fact]
    public async Task Two_processes_fetching_one_throttled_file_end_with_one_blob_and_one_full_download()
    {
        hub.Throttle("model.safetensors", 8 * 1024); // a few seconds: the second process starts while the first still downloads
        var environment = new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri, ["HF_HUB_CACHE"] = cache, ["HF_TOKEN"] = "" };
        string[] args = ["tokenize", "--model", HubFixtures.ModelId, "--text", "the food was great", "--json"];
        var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => FinetuneProcess.RunWithin(TimeSpan.FromMinutes(2), null, environment, args))));
        foreach (var run in runs) Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(runs[0].Stdout, runs[1].Stdout);
        // The hub logs a request once its response is done, which may be just after the client has every byte.
        for (int i = 0; i < 50 && !hub.Requests.Any(r => r.Host == hub.StorageEndpoint.Authority); i++) await Task.Delay(100);
        await Task.Delay(500); // and a second one, had there been one
        var storage = hub.Requests.Where(r => r.Host == hub.StorageEndpoint.Authority).ToList();
        Assert.True(storage.Count == 1 && storage[0] is { Method: "GET", Status: 200 }, string.Join("\n", storage));
        var blobs = Directory.GetFiles(Path.Combine(cache, Model.CacheFolder, "blobs"));
        Assert.Equal(hub.Repo(HubFixtures.ModelId).Head.Files.Values.Select(f => f.Etag).Intersect(blobs.Select(Path.GetFileName)!).Count(), blobs.Length);
        Assert.DoesNotContain(blobs, b => b.EndsWith(".incomplete", StringComparison.Ordinal));
    }
}
