using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Cluster.Tests.Cli;
using FineTune.Cluster.Tests.Cluster;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>
/// The guide's job by hub ids against the test hub: `finetune train` in one process, and the same job submitted to a
/// 2-worker cluster whose workers and client have no hub at all (the coordinator downloads; workers get blobs).
/// </summary>
public sealed class HubEndToEndTests : IAsyncLifetime
{
    const string NoHub = "http://127.0.0.1:9"; // the discard port: any request there fails at once
    readonly string root = TinyModels.TempDir();
    TestHub hub = null!;

    public async Task InitializeAsync() => hub = await TestHub.StartAsync(HubFixtures.All());

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        Directory.Delete(root, recursive: true);
    }

    static readonly string[] Job = ["--model", HubFixtures.ModelId, "--dataset", HubFixtures.DatasetId, "--train-subset", "200", "--eval-subset", "100",
        "--max-length", "32", "--epochs", "2", "--learning-rate", "1e-3", "--seed", "7"];
    static readonly string[] Labels = ["1 star", "2 star", "3 stars", "4 stars", "5 stars"];

    /// <summary>trainer_state.json's finetune.hub: each input's id, revision and the commit it named.</summary>
    void AssertHubSources(JsonNode? sources)
    {
        Assert.Equal(HubFixtures.ModelId, (string?)sources?["model"]?["id"]);
        Assert.Equal("main", (string?)sources?["model"]?["revision"]);
        Assert.Equal(hub.Repo(HubFixtures.ModelId).Head.Id, (string?)sources?["model"]?["commit"]);
        Assert.Equal(hub.Repo(HubFixtures.DatasetId).Head.Id, (string?)sources?["dataset"]?["commit"]);
    }

    /// <summary>The file a .../resolve/REVISION/PATH request asks for.</summary>
    static string FileOf(string url)
    {
        var rest = url[(url.IndexOf("/resolve/", StringComparison.Ordinal) + "/resolve/".Length)..];
        return rest[(rest.IndexOf('/') + 1)..];
    }

    static string[] Id2Label(string modelFolder) =>
        [.. JsonNode.Parse(File.ReadAllText(Path.Combine(modelFolder, "config.json")))!["id2label"]!.AsObject().OrderBy(kv => int.Parse(kv.Key)).Select(kv => (string)kv.Value!)];

    [Fact]
    public void Train_by_hub_ids_downloads_what_it_needs_and_records_the_commits()
    {
        var output = Path.Combine(root, "run");
        var environment = new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri, ["HF_HUB_CACHE"] = Path.Combine(root, "hub"), ["HF_TOKEN"] = "" };
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(3), null, environment, ["train", .. Job, "--output", output, "--json"]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("succeeded", JsonDocument.Parse(r.Stdout).RootElement.GetProperty("state").GetString()); // stdout is the JSON alone
        AssertHubSources(JsonNode.Parse(File.ReadAllText(Path.Combine(output, "trainer_state.json")))!["finetune"]?["hub"]);
        Assert.Equal(Labels, Id2Label(output)); // the README's class_label names, not the integers in the rows
        // Only what the job needs: no README of the model, no .gitattributes.
        var fetched = hub.Requests.Where(r => r.Method == "HEAD").Select(r => FileOf(r.PathAndQuery)).Order(StringComparer.Ordinal);
        Assert.Equal(HubFixtures.ModelFiles.Keys.Where(f => f is not ("README.md" or ".gitattributes")).Concat(
            HubFixtures.DatasetFiles.Keys.Where(f => f != ".gitattributes")).Order(StringComparer.Ordinal), fetched);

        // Offline from the same cache: no request at all, the same inputs.
        hub.ClearLog();
        var offline = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(3), null, new Dictionary<string, string>(environment) { ["HF_HUB_OFFLINE"] = "1", ["HF_ENDPOINT"] = NoHub },
            ["train", .. Job, "--output", output + "-offline", "--json"]);
        Assert.True(offline.ExitCode == 0, offline.Stderr);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public void A_cluster_job_naming_a_private_repo_without_the_coordinators_token_fails_on_its_input()
    {
        using var cluster = new ClusterProcesses(0, coordinatorEnvironment: new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri, ["HF_TOKEN"] = "" });
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(2), null, null,
            ["submit", "--coordinator", cluster.Url, "--model", HubFixtures.PrivateModelId, "--dataset", HubFixtures.DatasetId, "--max-length", "32", "--wait"]);
        Assert.Equal(2, r.ExitCode); // failure_kind invalid_input: retrying fails the same way
        Assert.Contains($"{hub.Endpoint.Host}/api/models/{HubFixtures.PrivateModelId}/revision/main: repository not found (a private or gated repo needs HF_TOKEN, which is not set)", r.Stdout + r.Stderr);
    }

    [Fact]
    public void A_cluster_job_by_hub_ids_is_downloaded_by_the_coordinator_alone()
    {
        var noHub = new Dictionary<string, string> { ["HF_ENDPOINT"] = NoHub, ["HF_HUB_OFFLINE"] = "1", ["HF_TOKEN"] = "" };
        using var cluster = new ClusterProcesses(2, coordinatorEnvironment: new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri, ["HF_TOKEN"] = TestHub.ReaderToken },
            workerEnvironment: noHub);
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(5), null, noHub, ["submit", "--coordinator", cluster.Url, .. Job, "--workers", "2", "--wait", "--json"]);

        Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{cluster.Logs()}");
        var job = JsonNode.Parse(r.Stdout)!;
        Assert.Equal("succeeded", (string?)job["state"]);
        Assert.Equal(2, job["workers"]!.AsArray().Count);
        AssertHubSources(job["hub"]);
        var outputDir = (string)job["output_dir"]!;
        AssertHubSources(JsonNode.Parse(File.ReadAllText(Path.Combine(outputDir, "trainer_state.json")))!["finetune"]?["hub"]);
        Assert.Equal(Labels, Id2Label(outputDir));
        Assert.True(Directory.Exists(Path.Combine(cluster.Root, "coordinator", "hub", "models--google-bert--bert-base-cased")), "the coordinator's cache is DATA_DIR/hub");
        Assert.All(hub.Requests, request => Assert.True(request.ValidToken || request.Host == hub.StorageEndpoint.Authority, $"{request}")); // the coordinator's token, to the hub only
        Assert.DoesNotContain(TestHub.ReaderToken, File.ReadAllText(Path.Combine(cluster.Root, "coordinator", "jobs", (string)job["id"]!, "job.json")));
        Assert.DoesNotContain(TestHub.ReaderToken, cluster.Logs());
    }
}
