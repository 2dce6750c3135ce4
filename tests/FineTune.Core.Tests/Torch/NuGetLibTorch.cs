using FineTune.Core.Torch;

namespace FineTune.Core.Tests.Torch;

/// <summary>
/// The CPU libtorch and TorchSharp's native library as the NuGet cache holds them (restored by every build here): a
/// real libtorch folder to point FINETUNE_LIBTORCH at, and the library whose imports it must satisfy.
/// </summary>
public static class NuGetLibTorch
{
    public static string Packages => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
        ? p
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native (the version TorchSharp is built against).</summary>
    public static string CpuFolder => Existing(Path.Combine(Packages, "libtorch-cpu-linux-x64", TorchBuild.BuiltAgainst, "runtimes", "linux-x64", "native"));

    /// <summary>torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so</summary>
    public static string TorchSharpNative => Existing(Path.Combine(Packages, "torchsharp", TorchBuild.TorchSharpVersion, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));

    static string Existing(string path) => Path.Exists(path) ? path : throw new DirectoryNotFoundException($"{path} is not in the NuGet cache (restore the solution first)");
}
