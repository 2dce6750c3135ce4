using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Core.Tests.Training;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// The Python client's sweep calls against a real coordinator and worker: sweep_example.py submits a sweep file whose
/// base is a spec file naming a local model and dataset (inlined and uploaded by the client), follows WatchSweep to
/// the end and downloads the best model; then list_sweeps, get_sweep, a trial's job, cancel_sweep (refused on an ended
/// sweep; a second sweep, given as text, cancelled and watched to its end), a retried request id and a bad file.
/// Multi-process; skips (saying why) where grpcio cannot be had, as <see cref="PythonClientTests"/>.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class PythonSweepClientTests
{
    const string Calls = """
        import json, sys
        sys.path.insert(0, sys.argv[1])
        import grpc, finetune_client
        c = finetune_client.Client(sys.argv[2])
        sweep_id, second_text = sys.argv[3], sys.argv[4]
        done = c.get_sweep(sweep_id)
        try:
            c.cancel_sweep(sweep_id)
            refused = None
        except grpc.RpcError as e:
            refused = e.code().name
        second = c.submit_sweep(second_text, request_id="second")
        again = c.submit_sweep(second_text, request_id="second")
        cancelled = c.cancel_sweep(second.id)
        watched = [s.state for s in c.watch_sweep(second.id)]
        try:
            c.submit_sweep('{"base": {"dataset": "default"}, "trials": 2, "space": {"learning_rat": {"choice": [0.1]}}}')
            bad = None
        except grpc.RpcError as e:
            bad = [e.code().name, e.details()]
        print(json.dumps({"listed": [s.id for s in c.list_sweeps()], "trial_job_sweep": c.get(done.trials[0].job_id).sweep_id,
                          "refused": refused, "second": second.id, "again": again.id, "cancelled": cancelled.state, "watched": watched, "bad": bad}))
        """;

    [SkippableFact]
    public void Submit_watch_get_list_cancel_and_download_a_sweep_from_python()
    {
        Skip.If(PythonEnvironment.Unavailable is not null, PythonEnvironment.Unavailable);
        var (model, dataset, _) = TinyJobs.Setup(examples: 100);
        var dir = Path.GetDirectoryName(dataset)!;
        var options = new JsonObject { ["model"] = model, ["dataset"] = dataset, ["num_train_epochs"] = 2, ["max_length"] = 32, ["eval_strategy"] = "epoch" };
        File.WriteAllText(Path.Combine(dir, "job.json"), options.ToJsonString());
        var sweep = new JsonObject
        {
            ["base"] = "job.json", // a spec file beside the sweep file: the client inlines it
            ["metric"] = "eval_accuracy",
            ["sampler"] = "grid",
            ["trials"] = 2,
            ["workers_per_trial"] = 1,
            ["space"] = new JsonObject { ["learning_rate"] = new JsonObject { ["choice"] = new JsonArray(1e-2, 1e-3) } },
        };
        File.WriteAllText(Path.Combine(dir, "sweep.json"), sweep.ToJsonString());
        var best = Path.Combine(dir, "best");
        using var cluster = new ClusterProcesses(workers: 1);

        var r = Python(cluster, Path.Combine(ClientDir, "sweep_example.py"), "--coordinator", cluster.Url, "-f", Path.Combine(dir, "sweep.json"), "--output", best);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Output}\n{cluster.Logs()}");
        var lines = r.Output.Trim().Split('\n');
        Assert.Matches("^submitted sweep-[^ ]+ \\(preparing, 2 trials\\)$", lines[0]);
        Assert.Contains(lines, l => l.Contains(": running [trial 0 running"));
        var final = JsonNode.Parse(lines[^1])!;
        Assert.Equal("succeeded", (string?)final["state"]);
        var trials = final["trials"]!.AsArray();
        Assert.Equal([0, 1], trials.Select(t => (int)t!["index"]!)); // zeros written (index 0, best_trial 0)
        var metrics = trials.Select(t => (double)t!["metric"]!).ToList();
        Assert.Equal(metrics.IndexOf(metrics.Max()), (int)final["best_trial"]!); // the first of the best
        Assert.Equal(["0.01", "0.001"], trials.Select(t => (string)t!["params"]!["learning_rate"]!));
        Assert.All(trials, t => Assert.Equal("succeeded", (string?)t!["state"]));
        Assert.True(final["test_metrics"]!["test_accuracy"] is not null, lines[^1]);
        Assert.True(File.Exists(Path.Combine(best, "model.safetensors")), r.Output); // the best trial's output, by the sweep's id
        var id = (string)final["id"]!;

        var second = new JsonObject { ["base"] = options.DeepClone(), ["trials"] = 2, ["space"] = sweep["space"]!.DeepClone() }.ToJsonString();
        var calls = Python(cluster, "-c", Calls, ClientDir, cluster.Url, id, second);
        Assert.True(calls.ExitCode == 0, $"exit {calls.ExitCode}: {calls.Output}\n{cluster.Logs()}");
        var o = JsonNode.Parse(calls.Output.Trim().Split('\n')[^1])!;
        Assert.Equal(id, (string?)o["trial_job_sweep"]); // a trial is an ordinary job naming its sweep
        Assert.Equal("FAILED_PRECONDITION", (string?)o["refused"]); // cancelling an ended sweep
        Assert.Equal((string?)o["second"], (string?)o["again"]); // the same request id: the same sweep
        Assert.Equal([id, (string)o["second"]!], o["listed"]!.AsArray().Select(s => (string)s!));
        Assert.Equal("cancelled", (string?)o["cancelled"]);
        Assert.Equal("cancelled", (string?)o["watched"]!.AsArray()[^1]); // watch_sweep ends with the final state
        Assert.Equal("INVALID_ARGUMENT", (string?)o["bad"]![0]);
        Assert.Contains("learning_rat", (string?)o["bad"]![1]);
    }

    static string ClientDir => Path.Combine(PythonEnvironment.RepositoryRoot, "src", "clients", "python");

    static (int ExitCode, string Output) Python(ClusterProcesses cluster, params string[] args) =>
        PythonEnvironment.Run(PythonEnvironment.Python, new Dictionary<string, string> { ["FINETUNE_PYTHON_STUBS"] = Path.Combine(cluster.Root, "python-stubs") },
            TimeSpan.FromMinutes(10), args);
}
