using System.Diagnostics;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>Runs the real `finetune` program (built next to the tests) as a separate process.</summary>
public static class FinetuneProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>A cache shared by the tests of one run, so the default model is converted once.</summary>
    public static readonly string TestCache = Path.Combine(Path.GetTempPath(), "finetune-tests", "cache");

    public static Result Run(params string[] args) => RunIn(null, args);

    public static Result RunIn(string? workingDirectory, params string[] args) => RunWithin(TimeSpan.FromMinutes(3), workingDirectory, args);

    public static Result RunWithin(TimeSpan limit, string? workingDirectory, params string[] args) => RunWithin(limit, workingDirectory, null, args);

    /// <summary>Runs `finetune ARGS` with extra environment variables (a startup hook, a test-only setting).</summary>
    public static Result RunWithin(TimeSpan limit, string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunProgram(Program, limit, workingDirectory, environment, args);

    /// <summary>Runs another build of `finetune` (its finetune.dll); an empty environment value unsets that variable.</summary>
    public static Result RunProgram(string dll, TimeSpan limit, string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var process = Start(dll, workingDirectory, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"finetune {string.Join(' ', args)} did not finish in {limit.TotalMinutes} minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts `finetune ARGS` with redirected output, for tests that interact with the running process.</summary>
    public static Process Start(string? workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    public static Process Start(string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Start(Program, workingDirectory, environment, args);

    // The build next to the tests.
    static string Program => Path.Combine(AppContext.BaseDirectory, "finetune.dll");

    static Process Start(string dll, string? workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["FINETUNE_CACHE"] = TestCache;
        start.Environment["FINETUNE_DEBUG"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            if (value.Length == 0) start.Environment.Remove(name);
            else start.Environment[name] = value;
        return Process.Start(start)!;
    }
}
