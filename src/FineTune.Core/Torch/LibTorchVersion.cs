using System.Text.RegularExpressions;

namespace FineTune.Core.Torch;

/// <summary>
/// The version of the libtorch in a folder, from what its distribution leaves beside it (libtorch has no call that
/// says its version): "unknown" when nothing does.
/// </summary>
public static partial class LibTorchVersion
{
    public const string Unknown = "unknown";

    /// <summary>
    /// <list type="bullet">
    /// <item>the libtorch zip from pytorch.org: <c>libtorch/build-version</c> beside <c>lib/</c> ("2.10.0+cpu");</item>
    /// <item>a Python torch: <c>torch/version.py</c> beside <c>torch/lib/</c> (<c>__version__ = '2.11.0+cu130'</c>);</item>
    /// <item>a NuGet package: <c>libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native</c> (the package's folder name).</item>
    /// </list>
    /// </summary>
    public static string Read(string folder)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(folder));
        if (parent is null) return Unknown;
        var buildVersion = Path.Combine(parent, "build-version");
        if (File.Exists(buildVersion) && File.ReadLines(buildVersion).FirstOrDefault()?.Trim() is { Length: > 0 } v) return v;
        var versionPy = Path.Combine(parent, "version.py");
        if (File.Exists(versionPy) && PythonVersion().Match(File.ReadAllText(versionPy)) is { Success: true } m) return m.Groups[1].Value;
        return NuGetVersion(folder) ?? Unknown;
    }

    // .../<package>/<version>/runtimes/<rid>/native: a libtorch package ("libtorch-cpu-linux-x64", "libtorch-cuda-12.8-linux-x64-part1").
    static string? NuGetVersion(string folder)
    {
        var native = new DirectoryInfo(Path.TrimEndingDirectorySeparator(folder));
        var version = native.Parent?.Parent?.Parent;
        if (native.Name != "native" || native.Parent?.Parent?.Name != "runtimes" || version?.Parent is not { } package) return null;
        return package.Name.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase) && char.IsAsciiDigit(version.Name[0]) ? version.Name : null;
    }

    [GeneratedRegex("""^__version__\s*=\s*['"]([^'"]+)['"]""", RegexOptions.Multiline)]
    private static partial Regex PythonVersion();
}
