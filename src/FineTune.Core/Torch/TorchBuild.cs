using System.Reflection;
using System.Runtime.InteropServices;

namespace FineTune.Core.Torch;

/// <summary>
/// What this build carries, stamped at build time: <c>-p:TorchBackend=cpu</c> (the default: libtorch-cpu-linux-x64),
/// <c>cuda</c> (TorchSharp-cuda-linux) or <c>external</c> (no libtorch: FINETUNE_LIBTORCH names one at run time).
/// Nothing here touches <c>TorchSharp.torch</c>, whose first use loads the native libraries.
/// </summary>
public static class TorchBuild
{
    public static string Backend { get; } = typeof(TorchBuild).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "TorchBackend")?.Value ?? "cpu";

    /// <summary>True for a cpu or cuda build (its libtorch sits beside the program); false for an external one.</summary>
    public static bool CarriesLibTorch => Backend != "external";

    /// <summary>The TorchSharp package version ("0.107.0").</summary>
    public static string TorchSharpVersion { get; } = Short(typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown");

    /// <summary>
    /// The libtorch version TorchSharp was built against ("2.10.0"): what its native library's imports expect, and what
    /// a cpu or cuda build carries. Read from the constant's metadata, so TorchSharp's static constructor does not run.
    /// </summary>
    public static string BuiltAgainst { get; } = Short(typeof(TorchSharp.torch)
        .GetField("libtorchPackageVersion", BindingFlags.NonPublic | BindingFlags.Static)?.GetRawConstantValue() as string ?? "unknown");

    /// <summary>The folder of this program's native TorchSharp library (and, in a cpu or cuda build, of its libtorch).</summary>
    public static string? NativeFolder { get; } = new[]
    {
        AppContext.BaseDirectory, // a RID-specific publish
        Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native"),
        Path.Combine(AppContext.BaseDirectory, "runtimes", $"linux-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}", "native"),
    }.FirstOrDefault(d => File.Exists(Path.Combine(d, "libLibTorchSharp.so")));

    /// <summary>libLibTorchSharp.so, TorchSharp's native library (in every build: it comes with the TorchSharp package).</summary>
    public static string? TorchSharpNative => NativeFolder is { } d ? Path.Combine(d, "libLibTorchSharp.so") : null;

    // 2.10.0.0 -> 2.10.0: package versions have three parts.
    static string Short(string version) => version.Split('.') is { Length: 4 } p && p[3] == "0" ? string.Join('.', p[..3]) : version;
}
