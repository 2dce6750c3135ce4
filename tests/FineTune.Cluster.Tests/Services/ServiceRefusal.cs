using System.Diagnostics;

namespace FineTune.Cluster.Tests.Services;

/// <summary>Runs a service (its dll next to the tests) that should refuse to start: its exit code and all it printed.</summary>
public static class ServiceRefusal
{
    public static (int ExitCode, string Output) Run(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{dll} kept running: it should have refused to start");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
