using System.Diagnostics;
using FineTune.Cluster.Tests.Cli;
using FineTune.Core.Tests.Training;

namespace FineTune.Cluster.Tests.Training;

/// <summary>
/// Native objects left to the finalizer (a TorchSharp Tensor or Scalar unreachable while libtorch still reads it) are
/// freed by the finalizer thread concurrently with libtorch: a use-after-free that shows once in a long job
/// ("ExternalException: Expected false to be true ... toFloat"). Here the real `finetune` program runs with a startup
/// hook (tests/FineTune.GcStress) that collects garbage and runs finalizers continuously, so such a bug fails the run
/// within seconds: before the fix these commands failed 3 times in 3 (after 9 to 34 s). <see cref="DisposeScopeTests"/>
/// is the deterministic companion.
/// </summary>
[Collection(TorchGlobalState.Name)] // alone: it takes the CPU, and timing-sensitive tests must not share it
public class NativeLifetimeStressTests
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(5); // a safety net: the bugs it catches failed within 34 s

    [Fact]
    public void Tiny_bert_trains_resumes_evaluates_and_predicts_while_the_runtime_collects_and_finalizes_continuously()
    {
        var (model, dataset, output) = TinyJobs.Setup(400);
        string[] job = ["--model", model, "--dataset", dataset, "--output", output, "--batch-size", "4", "--max-length", "32",
            "--learning-rate", "1e-3", "--threads", "1", "--eval-strategy", "steps", "--eval-steps", "250", "--save-strategy", "steps",
            "--save-steps", "500", "--logging-steps", "100"];
        ExpectSuccess(GcStressed(["train", .. job, "--max-steps", "1000"]));
        ExpectSuccess(GcStressed(["train", .. job, "--max-steps", "1500", "--resume-from-checkpoint", "latest"]));
        ExpectSuccess(GcStressed("evaluate", "--model", output, "--dataset", dataset, "--max-length", "32"));
        var predictions = Path.Combine(output, "predictions.jsonl");
        ExpectSuccess(GcStressed("predict", "--model", output, "--input", dataset, "--output", predictions));
        Assert.Equal(400, File.ReadLines(predictions).Count());
    }

    [Fact]
    public void Default_model_size_forward_and_backward_while_the_runtime_collects_and_finalizes_continuously()
    {
        var output = Path.Combine(FineTune.Core.Tests.Modeling.TinyModels.TempDir(), "out");
        try
        {
            ExpectSuccess(GcStressed("train", "--output", output, "--max-steps", "30", "--max-length", "64", "--threads", "1",
                "--eval-strategy", "steps", "--eval-steps", "15", "--eval-subset", "48", "--save-strategy", "no", "--logging-steps", "5"));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(output)!, recursive: true);
        }
    }

    static FinetuneProcess.Result GcStressed(params string[] args)
    {
        var hook = Path.Combine(AppContext.BaseDirectory, "FineTune.GcStress.dll");
        Assert.True(File.Exists(hook), $"{hook} is missing: the test project references tests/FineTune.GcStress");
        var clock = Stopwatch.StartNew();
        var result = FinetuneProcess.RunWithin(Limit, null, new Dictionary<string, string> { ["DOTNET_STARTUP_HOOKS"] = hook }, args);
        Console.WriteLine($"finetune {args[0]} under GC stress: exit {result.ExitCode} after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("gc-stress: ", result.Stderr); // the hook really ran
        return result;
    }

    static void ExpectSuccess(FinetuneProcess.Result run) =>
        Assert.True(run.ExitCode == 0, $"finetune failed under GC stress (exit {run.ExitCode}):\n{string.Join('\n', run.Stderr.Split('\n').TakeLast(25))}");
}
