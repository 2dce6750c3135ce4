namespace FineTune.Cluster.Tests.Services;

/// <summary>A service given a bad setting refuses to start: exit code 2, one line naming the option, no stack trace.</summary>
public class SettingsRefusalTests
{
    [Fact]
    public void A_coordinator_with_a_bad_max_workers_exits_2_naming_it()
    {
        var data = Path.Combine(Path.GetTempPath(), "finetune-tests", "settings-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, output) = ServiceRefusal.Run("FineTune.Coordinator.dll", "--urls", "http://127.0.0.1:0", "--data-dir", data, "--max-workers", "abc");
        Assert.True(code == 2, output);
        Assert.Equal("error: --max-workers abc: must be an integer >= 1", output.Trim());
    }

    [Fact]
    public void A_worker_with_bad_threads_exits_2_naming_them()
    {
        var (code, output) = ServiceRefusal.Run("FineTune.Worker.dll", "--urls", "http://127.0.0.1:0", "--coordinator", "http://127.0.0.1:1", "--threads", "many");
        Assert.True(code == 2, output);
        Assert.Equal("error: --threads many: must be an integer >= 1", output.Trim());
    }
}
