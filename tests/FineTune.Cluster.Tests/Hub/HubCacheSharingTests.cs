using System.Security.Cryptography;
using FineTune.Core.Data;
using FineTune.Core.Hub;
using FineTune.Core.Modeling;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>
/// One cache with Hugging Face's own client: what @huggingface/hub cached, our client uses offline; what our client
/// downloads is the same tree (blobs, links, refs) and the JS client's cache scan reads it with the right commits.
/// </summary>
public sealed class HubCacheSharingTests : IDisposable
{
    static readonly (string Type, string Id)[] Repos = [("model", HubFixtures.ModelId), ("dataset", HubFixtures.DatasetId), ("dataset", HubFixtures.LegacyDatasetId)];
    readonly string jsCache = TinyModels.TempDir();
    readonly string ourCache = TinyModels.TempDir();

    public void Dispose()
    {
        Directory.Delete(jsCache, recursive: true);
        Directory.Delete(ourCache, recursive: true);
    }

    static HubClient Client(TestHub hub, string cache, bool offline = false) =>
        new(new HubSettings(hub.Endpoint, TestHub.ReaderToken, offline, cache)) { RetryDelays = [TimeSpan.Zero, TimeSpan.Zero] };

    /// <summary>Every entry under the cache but .locks/ and .no_exist/: a blob by its content's hash, a link by its target, a ref by its commit.</summary>
    static SortedDictionary<string, string> Tree(string root)
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var name = Path.GetRelativePath(root, path);
            if (name.Split('/').Any(p => p is ".locks" or ".no_exist")) continue;
            var info = new FileInfo(path);
            if (info.LinkTarget is { } target) tree[name] = "link " + target;
            else if (info.Exists) tree[name] = "file " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        }
        return tree;
    }

    [SkippableFact]
    public async Task Our_client_reads_the_js_clients_cache_offline_and_writes_the_tree_it_writes()
    {
        if (JsHubClient.Unavailable is { } reason) Console.WriteLine($"skipped: {reason}");
        Skip.If(JsHubClient.Unavailable is not null, JsHubClient.Unavailable);
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        foreach (var (type, id) in Repos)
        {
            var run = JsHubClient.Download(hub.Endpoint, type, id, "main", jsCache);
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        // Offline, on the JS client's cache: no request at all, and the files read as a model and a dataset.
        hub.ClearLog();
        using (var offline = Client(hub, jsCache, offline: true))
        {
            var snapshots = new HubSnapshots(offline);
            var model = await snapshots.ModelAsync(HubRepo.Parse(HubRepo.Model, HubFixtures.ModelId, "--model"), "main");
            var data = await snapshots.DatasetAsync(HubRepo.Parse(HubRepo.Dataset, HubFixtures.DatasetId, "--dataset"), "main", null, "label", train: true, eval: true);
            Assert.Equal(hub.Repo(HubFixtures.ModelId).Head.Id, model.Commit);
            Assert.Equal(hub.Repo(HubFixtures.DatasetId).Head.Id, data.Commit);
            Assert.Equal(model.Folder, ModelFolder.Resolve(model.Folder));
            var loaded = DatasetLoader.Load(new DatasetOptions { Dataset = data.Folder });
            Assert.Equal((HubFixtures.TrainRows, HubFixtures.TestRows), (loaded.Train.Count, loaded.Eval.Count));
            Assert.Equal(["1 star", "2 star", "3 stars", "4 stars", "5 stars"], loaded.LabelNames);
        }
        Assert.Empty(hub.Requests);

        // Online, into a second cache: every file of the same commits, as snapshot_download fetches them.
        using (var online = Client(hub, ourCache))
            foreach (var (type, id) in Repos)
            {
                var repo = HubRepo.Parse(type, id, "--model");
                var commit = await online.CommitAsync(repo, "main");
                online.Cache.SetRef(repo, "main", commit);
                foreach (var file in await online.TreeAsync(repo, commit)) await online.DownloadAsync(repo, commit, file.Path);
            }
        Assert.Equal(Tree(jsCache), Tree(ourCache));

        using var scan = JsHubClient.Scan(ourCache);
        var scanned = scan.RootElement.GetProperty("repos").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("revisions").EnumerateArray().Select(v => v.GetProperty("commitOid").GetString()).Single());
        Assert.Equal(new Dictionary<string, string?>
        {
            [HubFixtures.ModelId] = hub.Repo(HubFixtures.ModelId).Head.Id,
            [HubFixtures.DatasetId] = hub.Repo(HubFixtures.DatasetId).Head.Id,
            [HubFixtures.LegacyDatasetId] = hub.Repo(HubFixtures.DatasetId).Head.Id,
        }, scanned);
        Assert.Empty(scan.RootElement.GetProperty("warnings").EnumerateArray());
    }
}
