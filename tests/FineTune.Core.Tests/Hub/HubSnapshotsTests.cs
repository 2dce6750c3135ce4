using System.Text;
using FineTune.Core.Hub;

namespace FineTune.Core.Tests.Hub;

/// <summary>Which files of a hub repo a job fetches (listed through the revision and tree calls), online and offline.</summary>
public class HubSnapshotsTests
{
    static readonly HubRepo Bert = HubRepo.Parse(HubRepo.Model, "google-bert/bert-base-cased", "--model");
    static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    static (HubClient Client, FakeHub Hub, string Cache) Setup(bool offline = false, string? cache = null)
    {
        var hub = new FakeHub();
        cache ??= Directory.CreateTempSubdirectory("finetune-hub-").FullName;
        var settings = new HubSettings(new Uri(FakeHub.Endpoint), null, offline, cache);
        return (new HubClient(settings, hub) { RetryDelays = [TimeSpan.Zero] }, hub, cache);
    }

    static string[] Linked(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_model_fetches_config_weights_and_tokenizer_files_only_listing_through_pages()
    {
        var (client, hub, _) = Setup();
        hub.PageSize = 2; // the tree listing comes in pages: the Link header leads on
        foreach (var name in new[] { "config.json", "vocab.txt", "tokenizer_config.json", "README.md", ".gitattributes", "flax_model.msgpack", "tf_model.h5" })
            hub.Add(Bert.UrlPath, name, Bytes(name), lfs: name.EndsWith(".h5") || name.EndsWith(".msgpack"));
        hub.Add(Bert.UrlPath, "model.safetensors", Bytes("weights"), lfs: true);
        hub.Add(Bert.UrlPath, "pytorch_model.bin", Bytes("old weights"), lfs: true);

        var snapshot = await new HubSnapshots(client).ModelAsync(Bert, "main");

        Assert.Equal(FakeHub.Commit, snapshot.Commit);
        Assert.Equal(["config.json", "model.safetensors", "tokenizer_config.json", "vocab.txt"], Linked(snapshot.Folder));
        Assert.Equal(5, hub.Log.Count(r => r.Url.Contains("/tree/", StringComparison.Ordinal))); // 9 files, 2 a page
        Assert.Single(hub.Log, r => r.Url.EndsWith("/api/models/google-bert/bert-base-cased/revision/main", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_sharded_checkpoint_fetches_its_index_and_every_shard_it_names()
    {
        var (client, hub, _) = Setup();
        hub.Add(Bert.UrlPath, "config.json", Bytes("{}"));
        hub.Add(Bert.UrlPath, "vocab.txt", Bytes("[PAD]"));
        hub.Add(Bert.UrlPath, "model.safetensors.index.json", Bytes("""{"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors", "c": "model-00001-of-00002.safetensors"}}"""));
        hub.Add(Bert.UrlPath, "model-00001-of-00002.safetensors", Bytes("one"), lfs: true);
        hub.Add(Bert.UrlPath, "model-00002-of-00002.safetensors", Bytes("two"), lfs: true);
        hub.Add(Bert.UrlPath, "model-00003-of-00003.safetensors", Bytes("unused"), lfs: true);

        var snapshot = await new HubSnapshots(client).ModelAsync(Bert, "main");

        Assert.Equal(["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json", "vocab.txt"], Linked(snapshot.Folder));
    }

    [Fact]
    public async Task A_repo_without_config_or_weights_is_refused_in_one_line()
    {
        var (client, hub, _) = Setup();
        hub.Add(Bert.UrlPath, "README.md", Bytes("# not a model"));
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => new HubSnapshots(client).ModelAsync(Bert, "main"));
        Assert.Equal($"google-bert/bert-base-cased@main: no config.json at commit {FakeHub.Commit}: not a Hugging Face model repository", e.Message);
        hub.Add(Bert.UrlPath, "config.json", Bytes("{}"));
        e = await Assert.ThrowsAsync<InvalidInputException>(() => new HubSnapshots(client).ModelAsync(Bert, "main"));
        Assert.StartsWith("google-bert/bert-base-cased@main: no weights at commit", e.Message);
    }

    [Fact]
    public async Task Offline_the_cached_snapshot_answers_without_a_request_and_a_missing_repo_is_one_line()
    {
        var (online, hub, cache) = Setup();
        hub.Add(Bert.UrlPath, "config.json", Bytes("{}"));
        hub.Add(Bert.UrlPath, "vocab.txt", Bytes("[PAD]"));
        hub.Add(Bert.UrlPath, "model.safetensors", Bytes("weights"), lfs: true);
        var first = await new HubSnapshots(online).ModelAsync(Bert, "main");

        var (offline, offlineHub, _) = Setup(offline: true, cache: cache);
        var again = await new HubSnapshots(offline).ModelAsync(Bert, "main");
        Assert.Equal(first, again);
        Assert.Empty(offlineHub.Log);

        var other = HubRepo.Parse(HubRepo.Model, "org/other", "--model");
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => new HubSnapshots(offline).ModelAsync(other, "v2"));
        Assert.Equal($"org/other@v2: not in the cache ({cache}) and HF_HUB_OFFLINE is set: nothing is downloaded", e.Message);
    }
}
