using System.Diagnostics;
using FineTune.Core.Tests.Training;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>
/// Ctrl+C (SIGINT) during `finetune train` stops at a step boundary with a resumable checkpoint. A shell without job
/// control starts background commands with SIGINT ignored, and children inherit that: when this test process ignores
/// SIGINT (as under such a CI runner) it sends SIGTERM instead, which `train` handles the same way.
/// </summary>
public class InterruptTests
{
    [Fact]
    public async Task Sigint_writes_a_checkpoint_and_the_run_resumes_to_the_end()
    {
        var (model, dataset, output) = TinyJobs.Setup(80);
        string[] job = ["train", "--model", model, "--dataset", dataset, "--output", output, "--epochs", "300", "--learning-rate", "1e-2",
            "--max-length", "32", "--threads", "1", "--save-strategy", "no", "--eval-strategy", "no", "--logging-steps", "50"];

        using var process = FinetuneProcess.Start(null, job);
        var stdout = process.StandardOutput.ReadToEndAsync();
        // Wait until training is under way (the first loss line), then press Ctrl+C.
        string? line;
        var seen = new List<string>();
        while ((line = process.StandardError.ReadLine()) != null)
        {
            seen.Add(line);
            if (line.StartsWith("step ", StringComparison.Ordinal)) break;
        }
        Assert.True(line != null, "training never started: " + string.Join('\n', seen));
        using (var kill = Process.Start("kill", [SigintIgnored() ? "-TERM" : "-INT", process.Id.ToString()])) kill.WaitForExit();
        var rest = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "did not stop within a minute of SIGINT");
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("--resume-from-checkpoint latest", rest);
        var checkpoint = Assert.Single(Directory.GetDirectories(output, "checkpoint-*"));
        var step = int.Parse(Path.GetFileName(checkpoint)["checkpoint-".Length..]);
        Assert.InRange(step, 50, 2399); // after the first loss line (step 50), before the end (8 steps per epoch x 300 epochs)
        Assert.Contains($"interrupted at step {step};", rest); // the checkpoint is of the step it stopped at
        await stdout;

        // Resume, shortened to end soon after the interruption point.
        var resumed = FinetuneProcess.Run([.. job, "--resume-from-checkpoint", "latest", "--max-steps", (step + 5).ToString(), "--json"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains($"resuming at step {step}", resumed.Stderr);
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    /// <summary>Whether SIGINT (signal 2) is in this process's ignored set (the SigIgn mask of /proc/self/status).</summary>
    static bool SigintIgnored()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << 1)) != 0;
    }
}
