using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FineTune.Cli.Commands;
using FineTune.Contracts.V1;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>
/// The cluster commands (submit, status, list, watch, cancel) as real processes: local validation before any network
/// call, an unreachable coordinator, the options map sent, and the Jobs API against a small in-test fake coordinator.
/// </summary>
public class ClusterCliTests(FakeCoordinator fake) : IClassFixture<FakeCoordinator>
{
    static string ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    static string TempFile(string name, string text)
    {
        var dir = Path.Combine(Path.GetTempPath(), "finetune-tests", "cluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>`finetune ARGS` with extra environment variables (null removes one).</summary>
    static FinetuneProcess.Result RunWith(Dictionary<string, string?>? env, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "finetune.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["FINETUNE_DEBUG"] = "0";
        start.Environment.Remove("FINETUNE_COORDINATOR");
        start.Environment.Remove("FINETUNE_API_KEY");
        foreach (var (k, v) in env ?? []) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"finetune {string.Join(' ', args)} did not finish in a minute");
        }
        return new FinetuneProcess.Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    static FinetuneProcess.Result Run(params string[] args) => RunWith(null, args);

    // ---- without a coordinator ----

    [Fact]
    public void Submit_validates_locally_before_connecting()
    {
        var r = Run("submit", "--learning-rate", "0", "--coordinator", ClosedPort());
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains("--learning-rate (learning_rate): must be greater than 0", r.Stderr);
        Assert.DoesNotContain("cannot reach", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);

        var file = TempFile("job.json", """{"per_device_train_batch_size": 0}""");
        r = Run("submit", "-f", file, "--coordinator", ClosedPort());
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("per_device_train_batch_size", r.Stderr);
        Assert.DoesNotContain("cannot reach", r.Stderr);
    }

    [Fact]
    public void Unreachable_coordinator_says_how_to_start_one()
    {
        var url = ClosedPort();
        foreach (var args in new[] { new[] { "status", "abc" }, ["list"], ["watch", "abc"], ["cancel", "abc"], ["submit", "--epochs", "1"] })
        {
            var r = Run([.. args, "--coordinator", url]);
            Assert.True(r.ExitCode == 1, $"{string.Join(' ', args)}: exit {r.ExitCode}: {r.Stderr}");
            Assert.Equal("", r.Stdout);
            Assert.Contains($"cannot reach the coordinator at {url}", r.Stderr);
            Assert.Contains("dotnet run --project src/FineTune.Coordinator -- --urls http://127.0.0.1:5100", r.Stderr);
            Assert.DoesNotContain("   at ", r.Stderr);
        }

        // The address comes from FINETUNE_COORDINATOR when --coordinator is not given.
        var env = RunWith(new() { ["FINETUNE_COORDINATOR"] = url }, "status", "abc");
        Assert.Equal(1, env.ExitCode);
        Assert.Contains($"cannot reach the coordinator at {url}", env.Stderr);
    }

    [Fact]
    public void A_coordinator_that_is_not_a_url_is_bad_input()
    {
        var r = Run("list", "--coordinator", "localhost-5100");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--coordinator: 'localhost-5100' is not an http:// or https:// URL", r.Stderr);
    }

    // ---- the options map ----

    static (JobOptions Job, RootCommand Root) SubmitLike()
    {
        var job = new JobOptions("output_dir");
        var root = new RootCommand();
        job.AddTo(root);
        return (job, root);
    }

    [Fact]
    public void Options_map_holds_exactly_the_file_keys_and_flags_given_flags_win()
    {
        var file = TempFile("job.json", """{"learning_rate": 3e-5, "epochs": 2, "model": "my-model", "group_by_length": true, "eval_steps": null, "lr_scheduler_type": "cosine"}""");
        var (job, root) = SubmitLike();
        var parse = root.Parse(["-f", file, "--learning-rate", "1e-4", "--seed", "7", "--group-by-length", "false", "--workers", "2"]);
        Assert.Empty(parse.Errors);
        var args = job.Bind(parse);
        Assert.Equal(1e-4, args.LearningRate);
        var map = job.OptionsMap(parse);
        Assert.Equal(new Dictionary<string, string>
        {
            ["learning_rate"] = "1e-4",         // the flag beats the file
            ["num_train_epochs"] = "2",         // an alias in the file, sent by its table key
            ["model"] = "my-model",
            ["group_by_length"] = "false",      // a switch given a value on the command line
            ["eval_steps"] = "null",
            ["lr_scheduler_type"] = "cosine",
            ["seed"] = "7",
            ["workers"] = "2",
        }, map);

        // The coordinator rebuilds the same arguments from the map with the same table.
        var rebuilt = new FineTune.Core.Arguments.TrainingArguments();
        foreach (var (k, v) in map) rebuilt = FineTune.Core.Arguments.ArgumentTable.Apply(rebuilt, k, v, k);
        Assert.Equal(args, rebuilt);
    }

    [Fact]
    public void Options_map_reads_yaml_and_leaves_defaults_out()
    {
        var file = TempFile("job.yaml", "per_device_train_batch_size: 16\nwarmup_ratio: 0.1\ndataset: data/train.csv\n");
        var (job, root) = SubmitLike();
        var parse = root.Parse(["-f", file, "--load-best-model-at-end"]);
        job.Bind(parse);
        Assert.Equal(new Dictionary<string, string>
        {
            ["per_device_train_batch_size"] = "16",
            ["warmup_ratio"] = "0.1",
            ["dataset"] = "data/train.csv",
            ["load_best_model_at_end"] = "true",
        }, job.OptionsMap(parse));

        var (bare, bareRoot) = SubmitLike();
        var none = bareRoot.Parse([]);
        Assert.Empty(bare.OptionsMap(none));
    }

    // ---- against the fake coordinator ----

    [Fact]
    public void Submit_sends_the_options_and_a_fresh_request_id_and_prints_the_id()
    {
        var file = TempFile("job.json", """{"num_train_epochs": 1, "model": "default"}""");
        var r = Run("submit", "-f", file, "--learning-rate", "2e-5", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var id = r.Stdout.Trim();
        var request = fake.Jobs.Submitted[id];
        Assert.Equal(new Dictionary<string, string> { ["num_train_epochs"] = "1", ["model"] = "default", ["learning_rate"] = "2e-5" }, request.Options);
        Assert.Matches("^[0-9a-f]{32}$", request.RequestId);
        Assert.Contains($"finetune watch {id}", r.Stderr);

        // A given request id is sent as is: the coordinator answers a repeat with the first job.
        var again1 = Run("submit", "--request-id", "retry-me", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key, "--json");
        var again2 = Run("submit", "--request-id", "retry-me", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key, "--json");
        Assert.True(again1.ExitCode == 0, again1.Stderr);
        Assert.Equal(JsonNode.Parse(again1.Stdout)!["id"]!.GetValue<string>(), JsonNode.Parse(again2.Stdout)!["id"]!.GetValue<string>());
        Assert.Equal("queued", JsonNode.Parse(again1.Stdout)!["state"]!.GetValue<string>());
    }

    [Fact]
    public void Submit_wait_json_follows_the_job_and_prints_only_the_final_job()
    {
        var r = RunWith(new() { ["FINETUNE_COORDINATOR"] = fake.Url, ["FINETUNE_API_KEY"] = FakeCoordinator.Key }, "submit", "--epochs", "1", "--wait", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var job = JsonNode.Parse(r.Stdout)!.AsObject(); // only the JSON on stdout
        Assert.Equal("succeeded", job["state"]!.GetValue<string>());
        Assert.Equal(0.9, job["metrics"]!["eval_accuracy"]!.GetValue<double>());
        Assert.Contains(": running on 2 workers (worker-0, worker-1)", r.Stderr);
        Assert.Contains("step 10  epoch 0.50  loss 0.6931  learning_rate 4.00e-5", r.Stderr);
        Assert.Contains("checkpoint-20 saved", r.Stderr);
        Assert.Contains(": succeeded", r.Stderr);
    }

    [Fact]
    public void Submit_wait_exits_1_when_the_job_fails()
    {
        var r = Run("submit", "--dataset", "coordinator:/fail-me", "--wait", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("failed", r.Stdout); // the summary table
        Assert.Contains("worker-1 lost", r.Stderr);
    }

    [Fact]
    public void Coordinator_refusing_the_job_is_bad_input()
    {
        var r = Run("submit", "--dataset", "coordinator:/missing.csv", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("error: --dataset (dataset): missing.csv: file not found\n", r.Stderr);
    }

    [Fact]
    public void Status_json_human_and_unknown_job()
    {
        var json = Run("status", FakeJobs.Done, "--json", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.True(json.ExitCode == 0, json.Stderr);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(FakeJobs.Finished(FakeJobs.Done).Json), JsonNode.Parse(json.Stdout)));

        var human = Run("status", FakeJobs.Done, "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.True(human.ExitCode == 0, human.Stderr);
        foreach (var s in new[] { FakeJobs.Done, "succeeded", "worker-0, worker-1", "20/20", "eval_accuracy", "0.9000" }) Assert.Contains(s, human.Stdout);

        var unknown = Run("status", "nope", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("error: unknown job 'nope'\n", unknown.Stderr);
    }

    [Fact]
    public void List_json_is_an_array_of_job_objects()
    {
        var r = Run("list", "--json", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var jobs = JsonNode.Parse(r.Stdout)!.AsArray();
        Assert.Contains(jobs, j => j!["id"]!.GetValue<string>() == FakeJobs.Done && j["metrics"]!["eval_accuracy"] is not null);
        Assert.Contains(jobs, j => j!["id"]!.GetValue<string>() == FakeJobs.Running && j["state"]!.GetValue<string>() == "running");

        var human = Run("list", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.True(human.ExitCode == 0, human.Stderr);
        var lines = human.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id", lines[0]);
        Assert.Contains(lines, l => l.StartsWith(FakeJobs.Done) && l.Contains("succeeded") && l.Contains("20/20") && l.Contains("2024-"));
    }

    [Fact]
    public void Watch_reconnects_when_the_stream_ends_early_and_exits_by_the_final_state()
    {
        var r = Run("watch", FakeJobs.Flaky, "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Single(r.Stderr.Split('\n'), l => l.EndsWith(": running on 1 worker (worker-0)"));
        Assert.Contains(": succeeded", r.Stderr);

        var failed = Run("watch", "fail-job", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.Equal(1, failed.ExitCode);
        var unknown = Run("watch", "nope", "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.Equal(2, unknown.ExitCode);
    }

    [Fact]
    public void Cancel_prints_the_new_state_and_a_finished_job_fails()
    {
        var r = Run("cancel", FakeJobs.Running, "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("cancelled\n", r.Stdout);

        var done = Run("cancel", FakeJobs.Done, "--coordinator", fake.Url, "--api-key", FakeCoordinator.Key);
        Assert.Equal(1, done.ExitCode);
        Assert.Contains($"job {FakeJobs.Done} already succeeded", done.Stderr);
    }

    [Fact]
    public void Api_key_is_sent_and_a_wrong_one_fails()
    {
        var missing = Run("list", "--coordinator", fake.Url);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("refused the API key (Unauthenticated)", missing.Stderr);

        var wrong = RunWith(new() { ["FINETUNE_API_KEY"] = "wrong" }, "list", "--coordinator", fake.Url);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("(PermissionDenied)", wrong.Stderr);
    }
}
