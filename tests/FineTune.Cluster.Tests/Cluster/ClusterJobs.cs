using System.Diagnostics;
using System.Text.Json;
using FineTune.Cluster.Tests.Cli;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>Submitting and following jobs on a test cluster through the real `finetune` command.</summary>
public static class ClusterJobs
{
    /// <summary>Submits (without --wait) and returns the job id.</summary>
    public static string Submit(ClusterProcesses c, params string[] options)
    {
        var r = FinetuneProcess.Run(["submit", "--coordinator", c.Url, "--json", .. options]);
        Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{c.Logs()}");
        return JsonDocument.Parse(r.Stdout).RootElement.GetProperty("id").GetString()!;
    }

    public static JsonElement Status(ClusterProcesses c, string id)
    {
        var r = FinetuneProcess.Run("status", id, "--coordinator", c.Url, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    public static JsonElement WaitFor(ClusterProcesses c, string id, Func<JsonElement, bool> done, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var s = Status(c, id);
            if (done(s)) return s;
            if (clock.Elapsed > limit) throw new TimeoutException($"job {id} is {s.GetProperty("state")} after {limit.TotalSeconds} s: {s}\n{c.Logs()}");
            Thread.Sleep(300);
        }
    }

    public static string State(JsonElement job) => job.GetProperty("state").GetString()!;

    public static bool Stepping(JsonElement job) => job.GetProperty("history").GetArrayLength() > 0;

    /// <summary>The newest training step the job has logged.</summary>
    public static int LastStep(JsonElement job) => job.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("step").GetInt32()).DefaultIfEmpty(0).Max();

    /// <summary>The workers running the job, by rank.</summary>
    public static string[] Workers(JsonElement job) => job.GetProperty("workers").EnumerateArray().Select(w => w.GetString()!).ToArray();

    public static bool Ended(JsonElement job) => State(job) is "succeeded" or "failed" or "cancelled" or "stopped";
}
