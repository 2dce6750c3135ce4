using FineTune.Core.Telemetry;
using FineTune.Core.Torch;
using FineTune.Core.Training;

namespace FineTune.Core.Tests.Telemetry;

/// <summary>The FINETUNE_PROFILE phase table. The profile is process-wide: each test uses phase names of its own.</summary>
public sealed class PhaseProfileTests
{
    [Fact]
    public void Phases_accumulate_and_the_table_ends_with_the_rest_and_the_process_wall_time()
    {
        var was = PhaseProfile.Enabled;
        PhaseProfile.Enabled = true;
        try
        {
            for (int i = 0; i < 3; i++) using (PhaseProfile.Measure("test: measured")) Thread.Sleep(5);
            PhaseProfile.Add("test: added", 1.5);
            PhaseProfile.Add("test: added", 0.5);
            new ProfileObserver().OnStep(new StepInfo(1, 1, 0, 0, 0, 0, 8, 100, new StepTimings(0.01, 0.2, 0.3, 0.0, 0.1, 0.7)));

            var phases = PhaseProfile.Phases().ToDictionary(p => p.Name);
            Assert.Equal(3, phases["test: measured"].Count);
            Assert.InRange(phases["test: measured"].Seconds, 0.015, 5);
            Assert.Equal((2.0, 2), (phases["test: added"].Seconds, phases["test: added"].Count));
            Assert.Equal(0.3, phases["step: backward"].Seconds, 6);
            var text = new StringWriter();
            PhaseProfile.Write(text);
            var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.All(lines, l => Assert.StartsWith(PhaseProfile.LinePrefix, l));
            Assert.Contains(lines, l => l.Contains("test: added") && l.Contains("2.000 s") && l.TrimEnd().EndsWith("x2"));
            Assert.Contains("other (no phase)", lines[^2]);
            Assert.Contains("process wall time", lines[^1]);
        }
        finally
        {
            PhaseProfile.Enabled = was;
        }
    }

    [Fact]
    public void Nothing_is_recorded_or_written_when_profiling_is_off()
    {
        var was = PhaseProfile.Enabled;
        PhaseProfile.Enabled = false;
        try
        {
            using (PhaseProfile.Measure("test: off measured")) { }
            PhaseProfile.Add("test: off added", 1);
            Assert.DoesNotContain(PhaseProfile.Phases(), p => p.Name.StartsWith("test: off", StringComparison.Ordinal));
            var text = new StringWriter();
            PhaseProfile.Write(text);
            Assert.Equal("", text.ToString());
        }
        finally
        {
            PhaseProfile.Enabled = was;
        }
    }

    [SkippableFact]
    public void Malloc_thresholds_are_set_on_linux_with_glibc()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "mallopt is glibc's (Linux)");
        Skip.If(Environment.GetEnvironmentVariable(NativeHeap.Variable) == "0", $"{NativeHeap.Variable}=0 turns the tuning off");
        Assert.True(NativeHeap.Tune());
        Assert.True(NativeHeap.Tune()); // once per process; a second call is a no-op
    }
}
