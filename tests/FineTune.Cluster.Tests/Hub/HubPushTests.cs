using FineTune.Cluster.Tests.Cli;
using FineTune.Core;
using FineTune.Core.Hub;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>
/// Our push (huggingface_hub's upload protocol) against the test hub, checked with Hugging Face's own JS client: what
/// we push it downloads byte for byte, what it uploads we download, and the request log shows what travelled.
/// </summary>
public sealed class HubPushTests : IAsyncLifetime
{
    readonly string root = TinyModels.TempDir();
    TestHub hub = null!;

    public async Task InitializeAsync() => hub = await TestHub.StartAsync(HubFixtures.All());

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        Directory.Delete(root, recursive: true);
    }

    HubClient Client(string? token = TestHub.WriterToken) =>
        new(new HubSettings(hub.Endpoint, token, false, Path.Combine(root, "cache"))) { RetryDelays = [TimeSpan.Zero, TimeSpan.Zero] };

    /// <summary>A model folder (a tiny BERT, a card, a nested file) and its checkpoint, which a push leaves out.</summary>
    string ModelFolder(string name = "model")
    {
        var dir = Path.Combine(root, name);
        TinyModels.WriteFolder(dir, seed: 11); // weights the hub's fixtures do not hold already
        File.WriteAllText(Path.Combine(dir, "README.md"), "---\ntags:\n- test\n---\n# a card\n");
        Directory.CreateDirectory(Path.Combine(dir, "plots"));
        File.WriteAllText(Path.Combine(dir, "plots", "loss.svg"), "<svg/>");
        Directory.CreateDirectory(Path.Combine(dir, "checkpoint-5"));
        File.WriteAllText(Path.Combine(dir, "checkpoint-5", "optimizer.safetensors"), "not pushed");
        return dir;
    }

    static void SkipWithoutNode()
    {
        if (JsHubClient.Unavailable is { } reason) Console.WriteLine($"skipped: {reason}");
        Skip.If(JsHubClient.Unavailable is not null, JsHubClient.Unavailable);
    }

    [SkippableFact]
    public async Task What_we_push_the_js_client_downloads_byte_for_byte_at_our_commit_and_a_second_push_sends_no_lfs_object()
    {
        SkipWithoutNode();
        var folder = ModelFolder();
        using var client = Client();
        var repo = await HubPush.RepoAsync(client, "pushed"); // a bare name: the token's namespace
        Assert.Equal("me/pushed", repo.Id);

        var first = await client.PushAsync(repo, HubPush.OutputFiles(folder), "main", isPrivate: false, "End of training");
        Assert.Equal(hub.Repo("me/pushed").Head.Id, first.Commit);
        Assert.Equal(1, first.LfsUploaded); // model.safetensors

        var cache = Path.Combine(root, "js-cache");
        var run = JsHubClient.Download(hub.Endpoint, "model", "me/pushed", "main", cache, TestHub.WriterToken);
        Assert.True(run.ExitCode == 0, run.ToString());
        var snapshot = Path.Combine(cache, "models--me--pushed", "snapshots", first.Commit);
        Assert.Equal(run.Result, snapshot);
        foreach (var file in HubPush.OutputFiles(folder))
            Assert.Equal(File.ReadAllBytes(file.Path), File.ReadAllBytes(Path.Combine(snapshot, file.Name)));
        Assert.False(File.Exists(Path.Combine(snapshot, "checkpoint-5", "optimizer.safetensors")));

        hub.ClearLog();
        var second = await client.PushAsync(repo, HubPush.OutputFiles(folder), "main", isPrivate: false, "Again");
        Assert.Equal(0, second.LfsUploaded);
        Assert.DoesNotContain(hub.Requests, r => r.PathAndQuery.StartsWith("/lfs-upload/", StringComparison.Ordinal));
        Assert.Single(hub.Requests, r => r.PathAndQuery == "/api/repos/create" && r.Status == 409); // it exists: not an error
    }

    [SkippableFact]
    public async Task What_the_js_client_uploads_we_download_byte_for_byte()
    {
        SkipWithoutNode();
        var folder = ModelFolder();
        File.Delete(Path.Combine(folder, "checkpoint-5", "optimizer.safetensors"));
        Directory.Delete(Path.Combine(folder, "checkpoint-5"));
        Directory.Delete(Path.Combine(folder, "plots"), recursive: true); // the JS upload script sends a flat folder
        var run = JsHubClient.Upload(hub.Endpoint, "model", "finetune-test/uploaded", folder, TestHub.WriterToken);
        Assert.True(run.ExitCode == 0, run.ToString());

        using var client = Client();
        var model = await new HubSnapshots(client).ModelAsync(HubRepo.Parse(HubRepo.Model, "finetune-test/uploaded", "--model"), "main");
        Assert.Equal(run.Result, model.Commit);
        foreach (var name in new[] { "config.json", "model.safetensors", "vocab.txt" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(folder, name)), File.ReadAllBytes(Path.Combine(model.Folder, name)));
    }

    [Fact]
    public void Finetune_push_publishes_a_folder_and_says_which_commit_on_stdout()
    {
        var folder = ModelFolder();
        var environment = new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri, ["HF_TOKEN"] = TestHub.WriterToken };
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(1), null, environment, "push", folder, "--repo", "cli-pushed", "--private", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var answer = System.Text.Json.Nodes.JsonNode.Parse(r.Stdout)!;
        Assert.Equal(("me/cli-pushed", hub.Repo("me/cli-pushed").Head.Id), ((string?)answer["repo"], (string?)answer["commit"]));
        Assert.True(hub.Repo("me/cli-pushed").Fixture.Visibility == HubVisibility.Private);

        var refused = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(1), null, new Dictionary<string, string>(environment) { ["HF_TOKEN"] = TestHub.ReaderToken },
            "push", folder, "--repo", "me/cli-pushed");
        Assert.Equal(2, refused.ExitCode);
        Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task An_interrupted_push_leaves_no_commit_and_the_retry_completes()
    {
        var folder = ModelFolder();
        using var client = Client();
        var repo = HubRepo.Parse(HubRepo.Model, "me/interrupted", "--hub-model-id");
        hub.FailNext("/lfs-upload/", 10); // every attempt of the weights' upload fails
        await Assert.ThrowsAsync<HubUnavailableException>(() => client.PushAsync(repo, HubPush.OutputFiles(folder), "main", false, "End of training"));
        var created = hub.Repo("me/interrupted");
        Assert.Equal("initial commit", created.Head.Title);
        Assert.DoesNotContain(hub.Requests, r => r.PathAndQuery.Contains("/commit/", StringComparison.Ordinal));

        hub.ClearFaults();
        var pushed = await client.PushAsync(repo, HubPush.OutputFiles(folder), "main", false, "End of training");
        Assert.Equal(pushed.Commit, hub.Repo("me/interrupted").Head.Id);
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "model.safetensors")), hub.Repo("me/interrupted").Head.Files["model.safetensors"].Bytes);
    }

    [Fact]
    public async Task A_push_to_a_new_branch_creates_it_and_leaves_main_alone()
    {
        var folder = ModelFolder();
        using var client = Client();
        var repo = HubRepo.Parse(HubRepo.Model, "me/branched", "--hub-model-id");
        var pushed = await client.PushAsync(repo, HubPush.OutputFiles(folder), "experiment", false, "End of training");
        var state = hub.Repo("me/branched");
        Assert.Equal(pushed.Commit, state.Resolve("experiment")!.Id);
        Assert.Equal("initial commit", state.Head.Title);
    }

    [Fact]
    public async Task A_refused_token_a_read_token_and_another_namespace_are_one_line_each()
    {
        var files = HubPush.OutputFiles(ModelFolder());
        async Task<string> Refusal(string? token, string id)
        {
            using var client = Client(token);
            return (await Assert.ThrowsAsync<InvalidInputException>(() => client.PushAsync(HubRepo.Parse(HubRepo.Model, id, "--hub-model-id"), files, "main", false, "x"))).Message;
        }
        var host = hub.Endpoint.Host;
        Assert.Equal($"{host}/api/repos/create: not authorized (HF_TOKEN was refused)", await Refusal("hf_not_a_token", "me/x"));
        Assert.Equal($"{host}/api/repos/create: access denied for this token: Forbidden: you must use a write token to upload to a repository.", await Refusal(TestHub.ReaderToken, "me/x"));
        Assert.Equal($"{host}/api/repos/create: access denied for this token: You don't have the rights to create a model under the namespace \"someone-else\"",
            await Refusal(TestHub.WriterToken, "someone-else/x"));
        Assert.Equal("pushing to the hub needs a token: set HF_TOKEN (or write it to $HF_HOME/token)", await Refusal(null, "me/x"));
    }
}
