using System.Diagnostics;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// Debian's python3 with grpcio and grpcio-tools, for the Python client's tests: installed with apt when missing and
/// running as root (as CI does, <see cref="AptPackages"/>), else unavailable with the reason (the tests skip and say why).
/// </summary>
public static class PythonEnvironment
{
    public const string Python = "/usr/bin/python3"; // Debian's, whose dist-packages hold python3-grpcio (not a pyenv shim)
    static readonly Lazy<string?> Problem = new(Prepare);

    /// <summary>Null when the Python client can run; else why not.</summary>
    public static string? Unavailable => Problem.Value;

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "FineTune.Distributed.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException($"no FineTune.Distributed.sln above {AppContext.BaseDirectory}");
        }
    }

    static string? Prepare()
    {
        if (!File.Exists(Python)) return $"{Python} not found (the Python client's tests need Debian's python3)";
        if (Run(Python, "-c", "import grpc, grpc_tools").ExitCode == 0) return null;
        if (AptPackages.Install("python3-grpcio", "python3-grpc-tools") is { } problem) return problem;
        var check = Run(Python, "-c", "import grpc, grpc_tools");
        return check.ExitCode == 0 ? null : $"grpc does not import after installing: {Last(check.Output)}";
    }

    public static (int ExitCode, string Output) Run(string program, params string[] args) => Run(program, null, TimeSpan.FromMinutes(10), args);

    public static (int ExitCode, string Output) Run(string program, IReadOnlyDictionary<string, string>? environment, TimeSpan limit, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        try
        {
            using var p = Process.Start(start)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(limit))
            {
                p.Kill(entireProcessTree: true);
                return (124, $"{program} timed out after {limit.TotalMinutes} min\n{stdout.Result}{stderr.Result}");
            }
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, $"{program}: {e.Message}");
        }
    }

    static string Last(string text) => text.Length > 400 ? text[^400..] : text;
}
