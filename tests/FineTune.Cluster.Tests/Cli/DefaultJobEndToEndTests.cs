using System.Diagnostics;
using System.Text.Json;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>
/// The acceptance run: `finetune train --output DIR` with nothing else (default model, default Yelp sentences,
/// Hugging Face defaults: 3 epochs, batch 8, lr 5e-5) reaches eval accuracy >= 0.90 on the held-out 20%.
/// Slow (about 100 s on 2 idle cores; it runs alone, after the parallel tests): filter it out with
/// --filter "FullyQualifiedName!~EndToEnd" while iterating. The 3-minute target is a timing, measured standalone, not asserted here.
/// </summary>
[Collection(FineTune.Core.Tests.Training.TorchGlobalState.Name)]
public class DefaultJobEndToEndTests
{
    [Fact]
    public void Default_job_reaches_90_percent_accuracy()
    {
        var output = Path.Combine(TinyModels.TempDir(), "out");
        var clock = Stopwatch.StartNew();
        var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(10), null, "train", "--output", output, "--json");
        Directory.Delete(Path.GetDirectoryName(output)!, recursive: true); // the model and three checkpoints: about 1 GB
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var metrics = doc.RootElement.GetProperty("metrics");
        var accuracy = metrics.GetProperty("eval_accuracy").GetDouble();
        Console.WriteLine($"default job: eval_accuracy {accuracy:0.0000}, eval_f1_macro {metrics.GetProperty("eval_f1_macro").GetDouble():0.0000}, " +
            $"train_runtime {metrics.GetProperty("train_runtime").GetDouble():0.0} s, {metrics.GetProperty("train_samples_per_second").GetDouble():0.0} samples/s, wall {clock.Elapsed.TotalSeconds:0} s");
        Assert.True(accuracy >= 0.90, $"eval_accuracy {accuracy} < 0.90");
        Assert.Equal(300, metrics.GetProperty("global_step").GetInt32()); // 800 train sentences / 8 x 3 epochs
        Assert.Equal(200, metrics.GetProperty("eval_samples").GetInt32());
    }
}
