using System.Text.Json;
using System.Text.RegularExpressions;
using FineTune.Cluster.Tests.Cluster;
using FineTune.Core.Tests.Torch;
using FineTune.Core.Tests.Training;
using FineTune.Core.Torch;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>
/// Multi-process, with one build of its own: publishes `finetune` with -p:TorchBackend=external (no libtorch in it)
/// into a temp folder (about a minute), then runs it as a separate process on the CPU libtorch of the NuGet cache, the
/// way a GPU machine runs it on a Python torch's torch/lib. Alone in its collection: the build takes both cores.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class ExternalLibTorchTests
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public void An_external_build_refuses_without_FINETUNE_LIBTORCH_and_trains_on_the_folder_it_names()
    {
        var publish = Path.Combine(Path.GetTempPath(), "finetune-tests", "external-" + Guid.NewGuid().ToString("N"));
        try
        {
            var finetune = Publish(publish);
            var (model, dataset, output) = TinyJobs.Setup(40);
            string[] Train(string output) => ["train", "--model", model, "--dataset", dataset, "--output", output, "--epochs", "2",
                "--learning-rate", "1e-2", "--max-length", "32", "--threads", "1", "--json"];

            // Unset: refused before anything starts, with one line that says how to set it.
            var refused = FinetuneProcess.RunProgram(finetune, Limit, null, Libtorch(""), Train(output));
            Assert.Equal(2, refused.ExitCode);
            Assert.StartsWith("error: FINETUNE_LIBTORCH is not set: this build carries no libtorch (-p:TorchBackend=external)", Assert.Single(Lines(refused.Stderr)));
            Assert.False(Directory.Exists(output), $"{output} was created");

            // A folder that holds no libtorch: refused, naming it.
            var wrong = FinetuneProcess.RunProgram(finetune, Limit, null, Libtorch(model), Train(output));
            Assert.Equal(2, wrong.ExitCode);
            Assert.StartsWith($"error: FINETUNE_LIBTORCH={model}: no libtorch in {model}", Assert.Single(Lines(wrong.Stderr)));

            // The NuGet cache's CPU libtorch: loaded by full path, reported with its symbol check, and the job trains.
            var folder = NuGetLibTorch.CpuFolder;
            var trained = FinetuneProcess.RunProgram(finetune, Limit, null, Libtorch(folder), Train(output));
            Assert.True(trained.ExitCode == 0, trained.Stderr);
            Assert.Matches($@"^libtorch {Regex.Escape(TorchBuild.BuiltAgainst)} from {Regex.Escape(folder)}; symbols: (\d+) of \1 found$", Lines(trained.Stderr)[0]);
            using var job = JsonDocument.Parse(trained.Stdout);
            Assert.Equal("succeeded", job.RootElement.GetProperty("state").GetString());
            var metrics = job.RootElement.GetProperty("metrics");
            Assert.True(metrics.GetProperty("global_step").GetInt32() >= 2, metrics.ToString());
            Assert.True(double.IsFinite(metrics.GetProperty("train_loss").GetDouble()), metrics.ToString());
            Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));

            // The same job on the bundled build runs the same libtorch binaries on one thread: the same loss.
            var bundledOutput = output + "-bundled";
            var bundled = FinetuneProcess.RunWithin(Limit, null, Train(bundledOutput));
            Assert.True(bundled.ExitCode == 0, bundled.Stderr);
            using var bundledJob = JsonDocument.Parse(bundled.Stdout);
            var bundledMetrics = bundledJob.RootElement.GetProperty("metrics");
            Assert.Equal(bundledMetrics.GetProperty("global_step").GetInt32(), metrics.GetProperty("global_step").GetInt32());
            Assert.Equal(bundledMetrics.GetProperty("train_loss").GetDouble(), metrics.GetProperty("train_loss").GetDouble(), 9);

            // `finetune env --json`, what a GPU check reads.
            var env = FinetuneProcess.RunProgram(finetune, Limit, null, Libtorch(folder), "env", "--json");
            Assert.True(env.ExitCode == 0, env.Stderr);
            using var doc = JsonDocument.Parse(env.Stdout);
            var e = doc.RootElement;
            Assert.Equal(("external", folder, TorchBuild.BuiltAgainst, "FINETUNE_LIBTORCH"),
                (e.GetProperty("backend").GetString(), e.GetProperty("libtorch_folder").GetString(), e.GetProperty("libtorch_version").GetString(), e.GetProperty("libtorch_source").GetString()));
            Assert.True(e.GetProperty("symbols_needed").GetInt32() > 1000);
            Assert.Equal(e.GetProperty("symbols_needed").GetInt32(), e.GetProperty("symbols_found").GetInt32());
            Assert.False(e.GetProperty("cuda_available").GetBoolean());
            Assert.Equal(JsonValueKind.Null, e.GetProperty("error").ValueKind);
        }
        finally
        {
            if (Directory.Exists(publish)) Directory.Delete(publish, recursive: true);
        }
    }

    // dotnet publish of the CLI alone, its intermediate files under the temp folder too, so this build's own bin/ and
    // obj/ (the cpu build the other tests run) stay as they are. Returns the published finetune.dll.
    static string Publish(string folder)
    {
        var root = PythonEnvironment.RepositoryRoot;
        var output = Path.Combine(folder, "out");
        var (exitCode, log) = PythonEnvironment.Run("dotnet", null, TimeSpan.FromMinutes(8),
            "publish", Path.Combine(root, "src", "FineTune.Cli"), "-c", "Release", "-p:TorchBackend=external",
            "--artifacts-path", Path.Combine(folder, "artifacts"), "-o", output, "--disable-build-servers");
        Assert.True(exitCode == 0, $"dotnet publish -p:TorchBackend=external failed ({exitCode}):\n{log}");
        var natives = Directory.GetFiles(output, "*.so*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(natives, n => n!.StartsWith("libtorch", StringComparison.Ordinal) || n.StartsWith("libc10", StringComparison.Ordinal));
        Assert.Contains("libLibTorchSharp.so", natives); // TorchSharp's own native library comes with every build
        Assert.Contains("WeakenGlibcxxNeeds", log); // the Debian 12 fix applies to it here too (Directory.Build.targets)
        return Path.Combine(output, "finetune.dll");
    }

    static Dictionary<string, string> Libtorch(string folder) => new() { [LibTorchLocation.Variable] = folder };

    static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
