using System.Diagnostics;
using System.Text.Json.Nodes;
using FineTune.Cluster.Tests.Cli;
using FineTune.Cluster.Tests.Cluster;
using FineTune.Core.Sweeps;
using FineTune.Core.Tests.Modeling;
using FineTune.Core.Tests.Training;
using YamlDotNet.RepresentationModel;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>
/// The guide's last step, push_to_hub, end to end against the test hub: `finetune train --push-to-hub` and the same
/// job on a 2-worker cluster, where the coordinator pushes with its own token. The pushed repo holds the model, the
/// tokenizer and a card whose model-index has the job's eval accuracy; no file the job wrote holds the token. A local
/// `finetune sweep` whose base pushes publishes its output (the best model with the sweep's report) once.
/// </summary>
public sealed class HubPushEndToEndTests : IAsyncLifetime
{
    readonly string root = TinyModels.TempDir();
    TestHub hub = null!;

    public async Task InitializeAsync() => hub = await TestHub.StartAsync(HubFixtures.All());

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        Directory.Delete(root, recursive: true);
    }

    static readonly string[] Job = ["--model", HubFixtures.ModelId, "--dataset", HubFixtures.DatasetId, "--train-subset", "120", "--eval-subset", "60",
        "--max-length", "32", "--epochs", "2", "--learning-rate", "1e-3", "--push-to-hub"];

    /// <summary>The pushed repo's head: model, tokenizer and card files, and the card's model-index accuracy.</summary>
    double AssertPushedModel(string id)
    {
        var head = hub.Repo(id).Head;
        foreach (var file in new[] { "config.json", "model.safetensors", "vocab.txt", "README.md", "trainer_state.json" }) Assert.Contains(file, head.Files.Keys);
        Assert.DoesNotContain(head.Files.Keys, f => f.StartsWith("checkpoint-", StringComparison.Ordinal));
        var card = System.Text.Encoding.UTF8.GetString(head.Files["README.md"].Bytes);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(card[4..card.IndexOf("\n---\n", 4, StringComparison.Ordinal)]));
        var meta = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal(HubFixtures.ModelId, meta["base_model"].ToString());
        var result = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)meta["model-index"])[0])["results"])[0];
        var accuracy = ((YamlSequenceNode)result["metrics"]).Cast<YamlMappingNode>().Single(m => m["type"].ToString() == "accuracy");
        return double.Parse(accuracy["value"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Every file under <paramref name="dir"/> that holds <paramref name="secret"/>.</summary>
    static IEnumerable<string> FilesHolding(string dir, string secret) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => File.ReadAllText(f).Contains(secret, StringComparison.Ordinal));

    [Fact]
    public void Train_pushes_the_model_and_its_card_and_writes_the_token_nowhere()
    {
        var output = Path.Combine(root, "yelp-run");
        var environment = new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri, ["HF_HUB_CACHE"] = Path.Combine(root, "hub"), ["HF_TOKEN"] = "" };
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(3), null, environment,
            ["train", .. Job, "--hub-model-id", "me/test", "--hub-token", TestHub.WriterToken, "--output", output, "--json"]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        var job = JsonNode.Parse(r.Stdout)!;
        Assert.Equal(hub.Repo("me/test").Head.Id, (string?)job["hub_push"]?["commit"]);
        var evalAccuracy = (double)JsonNode.Parse(File.ReadAllText(Path.Combine(output, "eval_results.json")))!["eval_accuracy"]!;
        Assert.Equal(Math.Round(evalAccuracy, 6), Math.Round(AssertPushedModel("me/test"), 6));
        Assert.Contains("Training in progress, step", string.Join("\n", hub.Repo("me/test").Commits.Select(c => c.Title))); // every_save, the default
        Assert.Empty(FilesHolding(output, TestHub.WriterToken));
        Assert.DoesNotContain(TestHub.WriterToken, r.Stdout + r.Stderr);
    }

    [Fact]
    public void A_cluster_job_is_pushed_by_the_coordinator_and_pushed_again_on_request()
    {
        var noHub = new Dictionary<string, string> { ["HF_ENDPOINT"] = "http://127.0.0.1:9", ["HF_HUB_OFFLINE"] = "1", ["HF_TOKEN"] = "" };
        using var cluster = new ClusterProcesses(2, coordinatorEnvironment: new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri, ["HF_TOKEN"] = TestHub.WriterToken },
            workerEnvironment: noHub);
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(5), null, noHub,
            ["submit", "--coordinator", cluster.Url, .. Job, "--hub-model-id", "finetune-test/cluster", "--workers", "2", "--wait", "--json"]);
        Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{cluster.Logs()}");
        var id = (string)JsonNode.Parse(r.Stdout)!["id"]!;

        var job = WaitForPush(cluster, id, state => state is "pushed" or "failed");
        Assert.Equal("pushed", (string?)job["push"]?["state"]);
        Assert.Equal(hub.Repo("finetune-test/cluster").Head.Id, (string?)job["push"]?["commit"]);
        Assert.Equal(Math.Round((double)job["metrics"]!["eval_accuracy"]!, 6), Math.Round(AssertPushedModel("finetune-test/cluster"), 6));
        Assert.Contains(hub.Repo("finetune-test/cluster").Commits, c => c.Title.StartsWith("Training in progress, step", StringComparison.Ordinal)); // every_save

        int commits = hub.Repo("finetune-test/cluster").Commits.Count;
        var again = FinetuneProcess.Run("push", "--job", id, "--coordinator", cluster.Url);
        Assert.True(again.ExitCode == 0, again.Stderr);
        WaitForPush(cluster, id, _ => hub.Repo("finetune-test/cluster").Commits.Count > commits);
        Assert.Equal("pushed", (string?)WaitForPush(cluster, id, state => state == "pushed")["push"]?["state"]);

        Assert.Empty(FilesHolding(Path.Combine(cluster.Root, "coordinator", "jobs"), TestHub.WriterToken));
        Assert.DoesNotContain(TestHub.WriterToken, cluster.Logs());
    }

    [Fact]
    public void A_failed_push_leaves_the_job_succeeded_with_the_reason_in_its_status()
    {
        using var cluster = new ClusterProcesses(1, coordinatorEnvironment: new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri, ["HF_TOKEN"] = TestHub.ReaderToken });
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(5), null, null,
            ["submit", "--coordinator", cluster.Url, .. Job, "--hub-model-id", "me/refused", "--hub-strategy", "end", "--wait", "--json"]);
        Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{cluster.Logs()}");
        var id = (string)JsonNode.Parse(r.Stdout)!["id"]!;
        var job = WaitForPush(cluster, id, state => state is "pushed" or "failed");
        Assert.Equal("succeeded", (string?)job["state"]);
        Assert.Equal("failed", (string?)job["push"]?["state"]);
        Assert.Equal($"{hub.Endpoint.Host}/api/repos/create: access denied for this token: Forbidden: you must use a write token to upload to a repository.", (string?)job["push"]?["error"]);
        var status = FinetuneProcess.Run("status", id, "--coordinator", cluster.Url);
        Assert.Matches(@"\npush +failed me/refused@main: .*access denied for this token", status.Stdout);
        Assert.Null(hub.FindRepo("model", "me/refused"));
    }

    [Fact]
    public void A_local_sweep_pushes_its_best_model_with_the_sweep_report_once_and_no_trial_pushes()
    {
        var (model, dataset, output) = TinyJobs.Setup(100);
        var file = Path.Combine(Path.GetDirectoryName(output)!, "sweep.json");
        File.WriteAllText(file, new JsonObject
        {
            ["base"] = new JsonObject // hub_strategy every_save, the default: a trial that pushed would show in the commits
            {
                ["model"] = model,
                ["dataset"] = dataset,
                ["num_train_epochs"] = 1,
                ["max_length"] = 32,
                ["threads"] = 1,
                ["push_to_hub"] = true,
                ["hub_model_id"] = "me/swept",
            },
            ["sampler"] = "grid",
            ["trials"] = 2,
            ["space"] = new JsonObject { ["learning_rate"] = new JsonObject { ["choice"] = new JsonArray(1e-2, 1e-3) } },
        }.ToJsonString());
        var environment = new Dictionary<string, string> { ["HF_ENDPOINT"] = hub.Endpoint.AbsoluteUri, ["HF_HUB_CACHE"] = Path.Combine(root, "hub"), ["HF_TOKEN"] = TestHub.WriterToken };
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(3), null, environment, ["sweep", "-f", file, "--output", output, "--json"]);

        Assert.True(r.ExitCode == 0, r.Stderr);
        var repo = hub.Repo("me/swept");
        Assert.Equal(repo.Head.Id, (string?)JsonNode.Parse(r.Stdout)!["hub_push"]?["commit"]);
        Assert.Equal(["End of training"], repo.Commits.Select(c => c.Title).Where(t => t != "initial commit")); // the sweep's output, once
        foreach (var name in new[] { "model.safetensors", "config.json", "vocab.txt", "README.md", SweepReport.MarkdownFile, SweepReport.JsonFile })
            Assert.Contains(name, repo.Head.Files.Keys);
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, LocalSweep.BestFolder, "model.safetensors")), repo.Head.Files["model.safetensors"].Bytes);
    }

    static JsonNode WaitForPush(ClusterProcesses cluster, string id, Func<string?, bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = FinetuneProcess.Run("status", id, "--coordinator", cluster.Url, "--json");
            Assert.True(status.ExitCode == 0, status.Stderr);
            var job = JsonNode.Parse(status.Stdout)!;
            if (done((string?)job["push"]?["state"])) return job;
            if (clock.Elapsed > TimeSpan.FromMinutes(1)) throw new TimeoutException($"push of {id}: {job["push"]}\n{cluster.Logs()}");
            Thread.Sleep(300);
        }
    }
}
