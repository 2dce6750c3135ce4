using FineTune.Core.Tests.Modeling;
using FineTune.Core.Torch;

namespace FineTune.Core.Tests.Torch;

/// <summary>
/// Where libtorch comes from: the build's own, or FINETUNE_LIBTORCH in an external build. Every refusal is one line
/// naming FINETUNE_LIBTORCH and the folder given. Nothing is loaded here (this test process carries its own libtorch;
/// tests/FineTune.Cluster.Tests' ExternalLibTorchTests runs an external build).
/// </summary>
public class LibTorchLocationTests
{
    static ExternalLibTorch? Resolve(string backend, string? given, Func<(string, string)>? python = null) =>
        LibTorchLocation.Resolve(backend, given, NuGetLibTorch.TorchSharpNative, python);

    static string Refusal(string backend, string? given, Func<(string, string)>? python = null)
    {
        var message = Assert.Throws<InvalidInputException>(() => Resolve(backend, given, python)).Message;
        Assert.DoesNotContain('\n', message);
        return message;
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("cuda")]
    public void A_build_with_its_own_libtorch_ignores_an_unset_variable(string backend)
    {
        Assert.Null(Resolve(backend, null));
        Assert.Null(Resolve(backend, " "));
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("cuda")]
    public void A_build_with_its_own_libtorch_refuses_the_variable(string backend)
    {
        var message = Refusal(backend, NuGetLibTorch.CpuFolder);
        Assert.StartsWith($"FINETUNE_LIBTORCH={NuGetLibTorch.CpuFolder}: this build carries its own libtorch (-p:TorchBackend={backend})", message);
        Assert.Contains("-p:TorchBackend=external", message);
    }

    [Fact]
    public void An_external_build_without_the_variable_says_how_to_set_it()
    {
        var message = Refusal("external", null);
        Assert.StartsWith("FINETUNE_LIBTORCH is not set: this build carries no libtorch (-p:TorchBackend=external)", message);
        Assert.Contains("FINETUNE_LIBTORCH=python", message);
    }

    [Fact]
    public void A_missing_folder_is_refused_by_name()
    {
        var missing = Path.Combine(TinyModels.TempDir(), "no-such-torch", "lib");
        Assert.StartsWith($"FINETUNE_LIBTORCH={missing}: no such folder", Refusal("external", missing));
    }

    [Fact]
    public void A_folder_without_libtorch_is_refused_by_name_and_a_likely_lib_folder_suggested()
    {
        var root = TinyModels.TempDir();
        File.WriteAllText(Path.Combine(root, "libc10.so"), "");
        Assert.Equal($"FINETUNE_LIBTORCH={root}: no libtorch in {root}: libtorch_cpu.so, libtorch.so missing; give the torch/lib folder of a PyTorch install (or a libtorch lib folder), or python to find it with python3 -c 'import torch'",
            Refusal("external", root));

        var lib = Directory.CreateDirectory(Path.Combine(root, "lib")).FullName; // FINETUNE_LIBTORCH=.../torch instead of .../torch/lib
        File.WriteAllText(Path.Combine(lib, "libtorch.so"), "");
        Assert.Contains($"(did you mean {lib}?)", Refusal("external", root));
    }

    [Fact]
    public void The_nuget_cpu_folder_passes_with_its_version_and_every_symbol()
    {
        var folder = NuGetLibTorch.CpuFolder;
        var external = Resolve("external", folder + "/")!;
        Assert.Equal(folder, external.Folder);
        Assert.Equal(TorchBuild.BuiltAgainst, external.Version);
        Assert.Equal(["libc10.so", "libtorch_cpu.so", "libtorch.so"], external.Libraries.Select(Path.GetFileName)); // dependency order, no CUDA here
        Assert.NotNull(external.Symbols);
        Assert.Empty(external.Symbols.Missing);
        Assert.Equal($"libtorch {TorchBuild.BuiltAgainst} from {folder}; symbols: {external.Symbols.Needed} of {external.Symbols.Needed} found", external.ToString());
    }

    [Fact]
    public void A_libtorch_lacking_core_symbols_is_refused_with_the_count_and_names()
    {
        // A "libtorch" whose libtorch_cpu.so is really libc10.so: the ops and the autograd are all missing.
        var folder = TinyModels.TempDir();
        foreach (var (name, real) in new[] { ("libc10.so", "libc10.so"), ("libtorch.so", "libtorch.so"), ("libtorch_cpu.so", "libc10.so") })
            File.CreateSymbolicLink(Path.Combine(folder, name), Path.Combine(NuGetLibTorch.CpuFolder, real));
        var message = Refusal("external", folder);
        Assert.StartsWith($"FINETUNE_LIBTORCH={folder}: libtorch unknown lacks what TorchSharp {TorchBuild.TorchSharpVersion} needs (it is built against libtorch {TorchBuild.BuiltAgainst}): symbols ", message);
        Assert.Matches(@"symbols \d+ of \d+ found; missing \d+ needed at load or by every op: .+ and \d+ more; \d+ bound on first call", message);
    }

    [Fact]
    public void Python_names_the_folder_and_the_version()
    {
        var external = Resolve("external", "python", () => (NuGetLibTorch.CpuFolder, "2.10.0+cpu"))!;
        Assert.Equal(("python", NuGetLibTorch.CpuFolder, "2.10.0+cpu"), (external.Given, external.Folder, external.Version));
        var missing = Path.Combine(TinyModels.TempDir(), "gone");
        Assert.Equal($"FINETUNE_LIBTORCH=python: python3 names {missing}, which does not exist", Refusal("external", "python", () => (missing, "2.11.0")));
    }

    [Fact]
    public void Python_that_cannot_import_torch_is_refused_with_its_error()
    {
        var python = Script("echo 'Traceback (most recent call last):' >&2; echo \"ModuleNotFoundError: No module named 'torch'\" >&2; exit 1");
        var e = Assert.Throws<InvalidInputException>(() => PythonTorch.Find(python));
        Assert.Equal($"FINETUNE_LIBTORCH=python: {python} -c 'import torch' failed: ModuleNotFoundError: No module named 'torch'", e.Message);
        e = Assert.Throws<InvalidInputException>(() => PythonTorch.Find(Path.Combine(TinyModels.TempDir(), "python3")));
        Assert.StartsWith("FINETUNE_LIBTORCH=python: cannot run ", e.Message);
    }

    [Fact]
    public void Python_prints_the_lib_folder_and_the_version()
    {
        // A stand-in for python3 that checks it was asked for torch's folder and version.
        var python = Script("""case "$2" in *torch.__file__*torch.__version__*) echo /opt/venv/torch/lib; echo 2.11.0+cu130;; *) exit 3;; esac""");
        Assert.Equal(("/opt/venv/torch/lib", "2.11.0+cu130"), PythonTorch.Find(python));
    }

    static string Script(string body)
    {
        var path = Path.Combine(TinyModels.TempDir(), "python3");
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
