using System.Diagnostics;
using FineTune.Core.Tests.Modeling;
using FineTune.Core.Torch;

namespace FineTune.Core.Tests.Torch;

/// <summary>The ELF dynamic symbol reader, on TorchSharp's and libtorch's real libraries from the NuGet cache.</summary>
public class ElfDynamicSymbolsTests
{
    [Fact]
    public void Reads_what_libtorchsharp_imports_from_libtorch_and_the_system()
    {
        var symbols = ElfDynamicSymbols.Read(NuGetLibTorch.TorchSharpNative);
        var imports = symbols.Where(s => !s.Defined).ToList();
        // Its own C API is exported; libtorch's C++ is imported without a version, the C/C++ runtime's with one.
        Assert.Contains(symbols, s => s.Defined && s.Name == "THSTensor_add" && s.Kind == SymbolKind.Function);
        Assert.Contains(imports, s => SymbolNames.Readable(s.Name) == "at::_ops::add_Tensor::call" && !s.Versioned && !s.BoundAtLoad);
        Assert.Contains(imports, s => s.Name == "malloc" && s.Versioned);
        // A vtable (data) and a function a vtable points to are bound when the library loads.
        Assert.Contains(imports, s => s.Name.StartsWith("_ZTVN5torch5optim", StringComparison.Ordinal) && s.Kind == SymbolKind.Object && s.BoundAtLoad);
        Assert.Contains(imports, s => SymbolNames.Readable(s.Name) == "torch::nn::Module::train" && s.Kind == SymbolKind.Function && s.BoundAtLoad);
        Assert.Contains(imports, s => s.Name == "__gmon_start__" && s.Weak);
    }

    [Fact]
    public void Reads_libtorch_cpu_exports_in_well_under_a_second()
    {
        var clock = Stopwatch.StartNew();
        var exports = ElfDynamicSymbols.Exports([Path.Combine(NuGetLibTorch.CpuFolder, "libtorch_cpu.so")]);
        Console.WriteLine($"libtorch_cpu.so: {exports.Count} exported names in {clock.ElapsedMilliseconds} ms");
        Assert.True(exports.Count > 50_000, $"{exports.Count} exports");
        Assert.Contains(exports, n => SymbolNames.Readable(n) == "at::_ops::add_Tensor::call");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.ElapsedMilliseconds} ms"); // ~0.3 s measured; a loaded machine is slower
    }

    [Fact]
    public void A_file_that_is_not_elf_is_refused()
    {
        var path = Path.Combine(TinyModels.TempDir(), "libtorch.so");
        File.WriteAllText(path, "INPUT(libtorch_real.so)\n"); // a linker script, as some distributions ship
        var e = Assert.Throws<InvalidDataException>(() => ElfDynamicSymbols.Read(path));
        Assert.Contains("is not an ELF file", e.Message);
    }
}
