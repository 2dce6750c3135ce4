namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// Debian packages a test needs: the missing ones installed with apt-get when running as root (as CI does), else the
/// reason they cannot be had, for the test to skip with.
/// </summary>
public static class AptPackages
{
    /// <summary>Null when every package is installed (now or before); else why not.</summary>
    public static string? Install(params string[] packages)
    {
        var missing = packages.Where(p => !Installed(p)).ToArray();
        if (missing.Length == 0) return null;
        if (Environment.UserName != "root")
            return $"{string.Join(", ", missing)} not installed, and the tests run without root to install them (apt-get install {string.Join(' ', missing)})";
        var update = PythonEnvironment.Run("apt-get", "update", "-qq");
        var install = PythonEnvironment.Run("apt-get", ["install", "-y", "-qq", .. missing]);
        if (install.ExitCode != 0) return $"apt-get install {string.Join(' ', missing)} failed (exit {install.ExitCode}): {Last(install.Output + update.Output)}";
        var still = missing.Where(p => !Installed(p)).ToArray();
        return still.Length == 0 ? null : $"{string.Join(", ", still)} still missing after apt-get install";
    }

    static bool Installed(string package)
    {
        var query = PythonEnvironment.Run("dpkg-query", "-W", "-f=${Status}", package);
        return query.ExitCode == 0 && query.Output.Contains("install ok installed", StringComparison.Ordinal);
    }

    static string Last(string text) => text.Length > 400 ? text[^400..] : text;
}
