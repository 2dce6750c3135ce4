using FineTune.Core.Hub;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>A first check that our own hub client (FineTune.Core.Hub) reads the test hub: an LFS file after a cut, a renamed repo.</summary>
public sealed class TestHubCoreClientTests : IDisposable
{
    readonly string cache = TinyModels.TempDir();

    public void Dispose() => Directory.Delete(cache, recursive: true);

    [Fact]
    public async Task Our_client_resumes_a_cut_lfs_file_and_follows_a_renamed_repo()
    {
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        using var client = new HubClient(new HubSettings(hub.Endpoint, TestHub.ReaderToken, false, cache)) { RetryDelays = [TimeSpan.Zero] };
        var weights = hub.Repo(HubFixtures.ModelId).Head.Files["model.safetensors"];
        hub.CutOnce("model.safetensors", 1000);

        var path = await client.DownloadAsync(HubRepo.Parse("model", HubFixtures.ModelId, "--model"), "main", "model.safetensors");
        var readme = await client.DownloadAsync(HubRepo.Parse("dataset", HubFixtures.LegacyDatasetId, "--dataset"), "main", "README.md");

        Assert.Equal(weights.Bytes, File.ReadAllBytes(path));
        Assert.Equal(HubFixtures.DatasetFiles["README.md"], File.ReadAllBytes(readme));
        var storage = hub.Requests.Where(r => r.Host == hub.StorageEndpoint.Authority).ToList();
        Assert.Equal([null, "bytes=1000-"], storage.Select(r => r.Range));
        Assert.DoesNotContain(storage, r => r.AuthorizationSent);
    }
}
