using FineTune.Coordinator;
using FineTune.Coordinator.Jobs;
using FineTune.ServiceDefaults;
using FineTune.Worker;
using static FineTune.Core.Tests.Services.ServiceSettingsTests;

namespace FineTune.Core.Tests.Services;

/// <summary>The coordinator's and the worker's settings: defaults, both key spellings, and every bad value refused by name.</summary>
public class ServiceOptionsTests
{
    [Fact]
    public void Coordinator_defaults_and_both_key_spellings()
    {
        var d = CoordinatorSettings.Read(Config(["--data-dir", "/tmp/c"]));
        Assert.Equal("/tmp/c", d.DataDir);
        Assert.Equal(TimeSpan.FromSeconds(10), d.HeartbeatTimeout);
        Assert.Equal(CoordinatorOptions.DefaultMaxWorkers, d.MaxWorkers);
        var o = CoordinatorSettings.Read(Config([], new()
        {
            ["FineTune:DataDir"] = "/tmp/d",
            ["FineTune:heartbeat-timeout"] = "2",
            ["FineTune:CollectiveTimeout"] = "3",
            ["FineTune:RecoveryWait"] = "4",
            ["FineTune:MaxWorkers"] = "5",
        }));
        Assert.Equal(("/tmp/d", 2, 3, 4, 5), (o.DataDir, o.HeartbeatTimeout.TotalSeconds, o.CollectiveTimeout.TotalSeconds, o.RecoveryWait.TotalSeconds, o.MaxWorkers));
    }

    [Theory]
    [InlineData("--max-workers", "abc", "--max-workers abc: must be an integer >= 1")]
    [InlineData("--max-workers", "-3", "--max-workers -3: must be an integer >= 1")]
    [InlineData("--heartbeat-timeout", "0", "--heartbeat-timeout 0: must be a positive number of seconds")]
    [InlineData("--collective-timeout", "x", "--collective-timeout x: must be a positive number of seconds")]
    [InlineData("--recovery-wait", "-1", "--recovery-wait -1: must be a positive number of seconds")]
    public void Coordinator_refuses_a_bad_value_naming_the_option(string flag, string value, string message) =>
        Assert.Equal(message, Assert.Throws<SettingsException>(() => CoordinatorSettings.Read(Config(["--data-dir", "/tmp/c", flag, value]))).Message);

    [Fact]
    public void Worker_defaults_and_settings()
    {
        var d = WorkerOptions.From(Config(["--coordinator", "http://127.0.0.1:5100", "--name", "w"]));
        Assert.Equal(("w", "cpu", Environment.ProcessorCount), (d.Name, d.Device, d.Threads));
        Assert.StartsWith("127.0.0.1:", d.RingListen);
        var o = WorkerOptions.From(Config(["--coordinator", "http://10.0.0.1:5100", "--threads", "3", "--ring-port", "29500", "--ring-advertise", "node:29500"],
            new() { ["FineTune:WorkerName"] = "named", ["FineTune:JoinToken"] = "t" }));
        Assert.Equal(("named", 3, "127.0.0.1:29500", "node:29500", "t"), (o.Name, o.Threads, o.RingListen, o.RingEndpoint, o.JoinToken));
    }

    [Theory]
    [InlineData("--threads", "abc", "--threads abc: must be an integer >= 1")]
    [InlineData("--threads", "0", "--threads 0: must be an integer >= 1")]
    [InlineData("--ring-port", "0", "--ring-port 0: must be an integer from 1 to 65535")]
    [InlineData("--ring-port", "http", "--ring-port http: must be an integer from 1 to 65535")]
    [InlineData("--device", "gpu", "--device gpu: must be cpu, cuda or cuda:N")]
    [InlineData("--device", "cuda:0", "--device cuda:0: CUDA is not available")]
    [InlineData("--coordinator", "localhost:5100", "--coordinator localhost:5100: must be an http:// or https:// URL")]
    [InlineData("--ring-host", "node-1", "--ring-host node-1: a host name needs --ring-port")]
    public void Worker_refuses_a_bad_value_naming_the_option(string flag, string value, string message)
    {
        var e = Assert.Throws<SettingsException>(() => WorkerOptions.From(Config(["--name", "w", flag, value])));
        Assert.StartsWith(message, e.Message);
    }
}
