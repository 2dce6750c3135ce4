using System.Security.Cryptography;
using System.Text.Json;
using FineTune.Core.Tests.Training;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// Scripted submission from another language: the Python client (src/clients/python), with stubs generated from the
/// protos at test time, against a real coordinator and worker. It uploads a dataset and a model folder, submits,
/// follows WatchJob and downloads the model. Multi-process; skips (saying why) where grpcio cannot be had.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class PythonClientTests
{
    [SkippableFact]
    public void A_script_written_from_the_protos_uploads_submits_watches_and_downloads_the_model()
    {
        Skip.If(PythonEnvironment.Unavailable is not null, PythonEnvironment.Unavailable);
        var (model, dataset, _) = TinyJobs.Setup(examples: 160);
        var output = Path.Combine(Path.GetDirectoryName(dataset)!, "downloaded");
        using var cluster = new ClusterProcesses(workers: 1);

        var r = Example(cluster, "--dataset", dataset, "--model", model, "--output", output, "--option", "num_train_epochs=4", "--option", "learning_rate=0.01",
            "--option", "max_length=32", "--option", "logging_steps=5", "--option", "workers=1");
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Output}\n{cluster.Logs()}");
        var lines = r.Output.Trim().Split('\n');
        Assert.Contains(lines, l => l.EndsWith(": running", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("step ", StringComparison.Ordinal) && l.Contains(": loss "));
        var summary = JsonDocument.Parse(lines[^1]).RootElement;
        Assert.Equal("succeeded", summary.GetProperty("state").GetString());
        Assert.True(summary.GetProperty("metrics").GetProperty("eval_accuracy").GetDouble() >= 0.9, lines[^1]);

        // The download is the coordinator's output, byte for byte, model included.
        var served = summary.GetProperty("output_dir").GetString()!;
        var files = summary.GetProperty("downloaded").GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToList();
        Assert.Contains("model.safetensors", files);
        Assert.Contains("config.json", files);
        Assert.Equal(Directory.GetFiles(served).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order(StringComparer.Ordinal), files);
        foreach (var f in files) Assert.Equal(Sha256(Path.Combine(served, f)), Sha256(Path.Combine(output, f)));
        Assert.Empty(Directory.GetFiles(output, ".*"));

        // Bad input gets the coordinator's message, naming the field; an unknown key is caught from DescribeOptions.
        var bad = Example(cluster, "--dataset", dataset, "--model", model, "--option", "learning_rate=0");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("StatusCode.INVALID_ARGUMENT", bad.Output);
        Assert.Contains("learning_rate", bad.Output);
        var unknown = Example(cluster, "--dataset", dataset, "--option", "learning_rat=0.1");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown option key 'learning_rat'", unknown.Output);
    }

    static (int ExitCode, string Output) Example(ClusterProcesses cluster, params string[] args)
    {
        var script = Path.Combine(PythonEnvironment.RepositoryRoot, "src", "clients", "python", "example.py");
        var stubs = Path.Combine(cluster.Root, "python-stubs");
        return PythonEnvironment.Run(PythonEnvironment.Python, new Dictionary<string, string> { ["FINETUNE_PYTHON_STUBS"] = stubs },
            TimeSpan.FromMinutes(10), [script, "--coordinator", cluster.Url, .. args]);
    }

    static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
