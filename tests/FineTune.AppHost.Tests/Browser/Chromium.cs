using System.Diagnostics;

namespace FineTune.AppHost.Tests.Browser;

/// <summary>
/// Debian's chromium for the dashboard tests: installed with apt-get when missing and running as root (as CI does),
/// else the reason it cannot be had. Playwright drives it through ExecutablePath and never downloads a browser.
/// </summary>
public static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    static readonly Lazy<string?> unavailable = new(Install);

    /// <summary>Null when chromium is there (now or before); else why not.</summary>
    public static string? Unavailable => unavailable.Value;

    /// <summary>With CI=true a missing browser fails the test; elsewhere it skips it, with the reason.</summary>
    public static bool Required => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    static string? Install()
    {
        if (File.Exists(ExecutablePath)) return null;
        if (!File.Exists("/usr/bin/apt-get")) return $"{ExecutablePath} is missing and this machine has no apt-get to install chromium";
        if (Environment.UserName != "root")
            return $"{ExecutablePath} is missing, and the tests run without root to install it (apt-get install chromium)";
        var update = Run("apt-get", "update", "-qq");
        var install = Run("apt-get", "install", "-y", "-qq", "chromium");
        if (install.ExitCode != 0) return $"apt-get install chromium failed (exit {install.ExitCode}): {Last(install.Output + update.Output)}";
        return File.Exists(ExecutablePath) ? null : $"{ExecutablePath} still missing after apt-get install chromium";
    }

    static (int ExitCode, string Output) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            return (124, $"{program} timed out after 10 min");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    static string Last(string text) => text.Length > 400 ? text[^400..] : text;
}
