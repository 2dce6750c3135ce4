using System.Diagnostics;
using FineTune.Cluster.Tests.Cluster;

namespace FineTune.Cluster.Tests.Gpu;

/// <summary>tests/gpu/check.sh on a machine without a GPU: one line saying so, exit 0, nothing built or run.</summary>
public class GpuCheckScriptTests
{
    [SkippableFact]
    public void Without_a_gpu_the_check_says_so_in_one_line_and_stops()
    {
        Skip.If(File.Exists("/dev/nvidia0"), "this machine has an NVIDIA GPU: run bash tests/gpu/check.sh itself");
        var start = new ProcessStartInfo("bash", [Path.Combine(PythonEnvironment.RepositoryRoot, "tests", "gpu", "check.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PATH"] = "/usr/bin:/bin"; // no nvidia-smi on the path, whatever the machine has elsewhere
        using var check = Process.Start(start)!;
        var output = check.StandardOutput.ReadToEnd() + check.StandardError.ReadToEnd();
        Assert.True(check.WaitForExit(30_000), "the check did not stop within 30 s");
        Assert.Equal(0, check.ExitCode);
        Assert.Equal("gpu check: no NVIDIA GPU on this machine (no /dev/nvidia0, nvidia-smi finds none): nothing to check", output.Trim());
    }
}
