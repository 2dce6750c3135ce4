using System.Diagnostics;
using FineTune.Core.Checkpointing;
using FineTune.Core.Modeling;
using FineTune.Core.Tests.Training;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>
/// `finetune train` killed with SIGKILL, five times at different moments, while it saves a checkpoint at every step
/// (so kills land inside saves):
/// every checkpoint folder that looks complete is complete, a half-written one is never taken for a checkpoint, and
/// `--resume-from-checkpoint latest` continues from the last good one.
/// </summary>
public class CrashDuringSaveTests
{
    [Fact]
    public void Sigkill_while_saving_leaves_the_previous_checkpoint_usable()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        string[] job = ["train", "--model", model, "--dataset", dataset, "--output", output, "--epochs", "300", "--learning-rate", "1e-2",
            "--max-length", "32", "--threads", "1", "--save-strategy", "steps", "--save-steps", "1", "--save-total-limit", "3",
            "--eval-strategy", "no", "--logging-steps", "5"];
        int leftovers = 0;
        foreach (var extraMs in new[] { 3, 11, 23, 37, 61 })
        {
            int before = Checkpoints.List(output) is [.., var last] ? last.Step : 0;
            using var process = FinetuneProcess.Start(null, [.. job, .. Directory.Exists(output) && Checkpoints.List(output).Count > 0 ? new[] { "--resume-from-checkpoint", "latest" } : []]);
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            // Once this run has saved a checkpoint of its own, kill it a little later: most of a step's time is its save.
            var clock = Stopwatch.StartNew();
            while (!process.HasExited && (Checkpoints.List(output) is [.., var newest] ? newest.Step : 0) <= before && clock.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(10);
            Thread.Sleep(extraMs);
            Assert.False(process.HasExited, "training ended before it could be killed");
            process.Kill(); // SIGKILL: no handler runs
            process.WaitForExit();

            leftovers += Directory.GetDirectories(output, "checkpoint-*.tmp-*").Length;
            foreach (var dir in Directory.GetDirectories(output, "checkpoint-*").Where(d => !d.Contains(".tmp-", StringComparison.Ordinal)))
            {
                // A folder under a checkpoint's name is always a whole checkpoint.
                foreach (var f in new[] { "config.json", "model.safetensors", Checkpoints.OptimizerFile, Checkpoints.StateFile, Checkpoints.ResumeFile })
                    Assert.True(File.Exists(Path.Combine(dir, f)), $"{dir} lacks {f}");
                Assert.NotEmpty(CheckpointReader.Read(Path.Combine(dir, "model.safetensors")));
            }
        }
        var latest = Checkpoints.List(output)[^1].Step;
        var resumed = FinetuneProcess.Run([.. job, "--resume-from-checkpoint", "latest", "--max-steps", (latest + 3).ToString()]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains($"resuming at step {latest}", resumed.Stderr);
        Console.WriteLine($"5 kills during per-step saves: {leftovers} half-written checkpoint folder(s) left aside; resumed at step {latest}");
    }
}
