using System.Text;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>
/// Hugging Face's own JS client (@huggingface/hub) pushes to the test hub: it creates a repo, uploads a folder (a small
/// file, a file in a subfolder, an LFS .safetensors) in one commit, downloads it back, and pushes the same folder again.
/// </summary>
public sealed class TestHubUploadTests : IDisposable
{
    const string RepoId = "me/uploaded-bert";
    readonly string work = TinyModels.TempDir();

    public void Dispose() => Directory.Delete(work, recursive: true);

    static void SkipWithoutNode()
    {
        if (JsHubClient.Unavailable is { } reason) Console.WriteLine($"skipped: {reason}");
        Skip.If(JsHubClient.Unavailable is not null, JsHubClient.Unavailable);
    }

    /// <summary>The folder to push, made here: its files by repo path.</summary>
    Dictionary<string, byte[]> MakeFolder()
    {
        var weights = new byte[3 << 20];
        new Random(7).NextBytes(weights);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["README.md"] = Encoding.UTF8.GetBytes("---\nlicense: apache-2.0\n---\n# uploaded by the JS client\n"),
            ["config.json"] = Encoding.UTF8.GetBytes("{\"model_type\": \"bert\"}\n"),
            ["extra/notes.txt"] = Encoding.UTF8.GetBytes("a file in a subfolder\n"),
            ["model.safetensors"] = weights,
        };
        foreach (var (path, bytes) in files)
        {
            var file = Path.Combine(work, "folder", path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, bytes);
        }
        return files;
    }

    [SkippableFact]
    public async Task The_js_client_creates_a_repo_uploads_a_folder_in_one_commit_and_downloads_it_back()
    {
        SkipWithoutNode();
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        var files = MakeFolder();

        var upload = JsHubClient.Upload(hub.Endpoint, "model", RepoId, Path.Combine(work, "folder"), TestHub.WriterToken);

        Assert.True(upload.ExitCode == 0, upload.ToString());
        var repo = hub.Repo(RepoId);
        var head = repo.Head;
        Assert.Equal(head.Id, upload.Result);
        Assert.Equal(2, repo.Commits.Count); // the repo's initial commit (.gitattributes), then the upload
        Assert.Equal(files.Keys.Append(".gitattributes").Order(StringComparer.Ordinal), head.Files.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, bytes) in files) Assert.Equal(bytes, head.Files[path].Bytes);
        Assert.Contains("*.safetensors filter=lfs", Encoding.UTF8.GetString(head.Files[".gitattributes"].Bytes));
        Assert.Equal(["model.safetensors"], head.Files.Values.Where(b => b.IsLfs).Select(b => b.Path));
        Assert.Equal("Upload 4 files", head.Title);

        // What it asked: repoExists (404), create, preupload, the batch, one PUT of the weights to storage, the commit.
        var requests = hub.Requests;
        Assert.Equal([404, 200], requests.Where(r => r.PathAndQuery.StartsWith($"/api/models/{RepoId}?", StringComparison.Ordinal) || r.PathAndQuery == "/api/repos/create").Select(r => r.Status));
        Assert.Single(requests, r => r is { Method: "POST", Status: 200 } && r.PathAndQuery == $"/api/models/{RepoId}/preupload/main");
        Assert.Single(requests, r => r is { Method: "POST", Status: 200 } && r.PathAndQuery == $"/{RepoId}.git/info/lfs/objects/batch");
        var put = Assert.Single(requests, r => r.Method == "PUT");
        Assert.Equal((hub.StorageEndpoint.Authority, $"/lfs-upload/{head.Files["model.safetensors"].Sha256}", 200, (long)files["model.safetensors"].Length, false),
            (put.Host, put.PathAndQuery, put.Status, put.RequestBytes, put.AuthorizationSent));
        var commit = Assert.Single(requests, r => r.PathAndQuery == $"/api/models/{RepoId}/commit/main");
        Assert.Equal(200, commit.Status);
        Assert.InRange(commit.RequestBytes, 100, 10_000); // small files inline, the weights by oid only
        Assert.DoesNotContain(requests, r => r.PathAndQuery.EndsWith("/verify", StringComparison.Ordinal)); // the JS client never verifies

        // The JS client's download of the new repo gets the same bytes into its cache.
        var cache = Path.Combine(work, "cache");
        var download = JsHubClient.Download(hub.Endpoint, "model", RepoId, "main", cache);
        Assert.True(download.ExitCode == 0, download.ToString());
        Assert.Equal(Path.Combine(cache, "models--me--uploaded-bert", "snapshots", head.Id), download.Result);
        foreach (var (path, bytes) in files) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(download.Result, path)));
    }

    [SkippableFact]
    public async Task A_second_push_of_the_same_folder_uploads_no_lfs_bytes_and_still_commits()
    {
        SkipWithoutNode();
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        var files = MakeFolder();
        var folder = Path.Combine(work, "folder");
        var first = JsHubClient.Upload(hub.Endpoint, "model", RepoId, folder, TestHub.WriterToken);
        Assert.True(first.ExitCode == 0, first.ToString());
        hub.ClearLog();

        var second = JsHubClient.Upload(hub.Endpoint, "model", RepoId, folder, TestHub.WriterToken);

        Assert.True(second.ExitCode == 0, second.ToString());
        var repo = hub.Repo(RepoId);
        // The JS client skips no unchanged file: the same files make a new commit on top of the first.
        Assert.NotEqual(first.Result, second.Result);
        Assert.Equal(second.Result, repo.Head.Id);
        Assert.Equal(first.Result, repo.Head.Parent!.Id);
        Assert.Equal(repo.Head.Parent.Files.Values.Select(b => (b.Path, b.GitOid)).Order(), repo.Head.Files.Values.Select(b => (b.Path, b.GitOid)).Order());
        var requests = hub.Requests;
        Assert.DoesNotContain(requests, r => r.PathAndQuery == "/api/repos/create"); // repoExists said yes
        Assert.Single(requests, r => r.PathAndQuery.EndsWith("/info/lfs/objects/batch", StringComparison.Ordinal)); // asked, and told the object is there
        Assert.DoesNotContain(requests, r => r.Method == "PUT" || r.Host == hub.StorageEndpoint.Authority);
        Assert.Single(requests, r => r.PathAndQuery == $"/api/models/{RepoId}/commit/main" && r.Status == 200);
        // The second commit changed no file: each file's last commit (paths-info's lastCommit) is still the first push.
        Assert.All(files.Keys, p => Assert.Equal(first.Result, repo.Head.LastChange(p).Id));
    }

    [SkippableFact]
    public async Task A_push_without_write_rights_fails_with_the_hubs_message_and_changes_nothing()
    {
        SkipWithoutNode();
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        MakeFolder();
        var folder = Path.Combine(work, "folder");

        var reader = JsHubClient.Upload(hub.Endpoint, "model", RepoId, folder, TestHub.ReaderToken);
        var elsewhere = JsHubClient.Upload(hub.Endpoint, "model", HubFixtures.ModelId, folder, TestHub.WriterToken);

        Assert.True(reader.ExitCode == 1, reader.ToString());
        Assert.Contains("write token", reader.Stderr);
        Assert.True(elsewhere.ExitCode == 1, elsewhere.ToString());
        Assert.Contains("rights", elsewhere.Stderr);
        Assert.Null(hub.FindRepo("model", RepoId));
        Assert.Equal(2, hub.Repo(HubFixtures.ModelId).Commits.Count); // the fixture's history and head only
        Assert.DoesNotContain(hub.Requests, r => r.Method == "PUT");
    }
}
