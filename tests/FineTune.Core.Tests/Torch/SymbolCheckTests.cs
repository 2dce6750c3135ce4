using FineTune.Core.Torch;

namespace FineTune.Core.Tests.Torch;

/// <summary>What libLibTorchSharp.so imports against what a libtorch folder exports, and what a missing symbol costs.</summary>
public class SymbolCheckTests
{
    static DynamicSymbol Import(string name, SymbolKind kind = SymbolKind.Function, bool boundAtLoad = false, bool versioned = false, bool weak = false) =>
        new(name, kind, Defined: false, weak, versioned, boundAtLoad);

    const string AddOp = "_ZN2at4_ops10add_Tensor4callERKNS_6TensorES5_RKN3c106ScalarE";
    const string NewOp = "_ZN2at4_ops9new_thing4callERKNS_6TensorE";

    [Fact]
    public void The_nuget_cpu_libtorch_exports_everything_libtorchsharp_imports()
    {
        var libraries = new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" }.Select(f => Path.Combine(NuGetLibTorch.CpuFolder, f));
        var check = SymbolCheck.Compare(ElfDynamicSymbols.Read(NuGetLibTorch.TorchSharpNative), ElfDynamicSymbols.Exports(libraries));
        Assert.True(check.Needed > 1000, $"{check.Needed} needed");
        Assert.Empty(check.Missing);
        Assert.Equal($"{check.Needed} of {check.Needed} found", check.ToString());
    }

    [Fact]
    public void Only_unversioned_required_imports_count()
    {
        var imports = new[] { Import(AddOp), Import("malloc", versioned: true), Import("__gmon_start__", weak: true), Import(AddOp) };
        var check = SymbolCheck.Compare(imports, new HashSet<string> { AddOp });
        Assert.Equal(1, check.Needed);
        Assert.Equal(1, check.Found);
    }

    [Fact]
    public void A_missing_op_is_a_warning_that_names_it()
    {
        var check = SymbolCheck.Compare([Import(AddOp), Import(NewOp)], new HashSet<string> { AddOp });
        Assert.Empty(check.Core);
        Assert.Single(check.Lazy);
        Assert.Equal("1 of 2 found; missing 1 bound on first call (a job that reaches one aborts): at::_ops::new_thing::call", check.ToString());
    }

    [Theory]
    [InlineData("_ZTVN5torch5optim14RMSpropOptionsE", SymbolKind.Object, true)] // data: the library would not load
    [InlineData("_ZN5torch2nn6Module5trainEb", SymbolKind.Function, true)] // a vtable's function: bound at load
    [InlineData("_ZNK3c105Error4whatEv", SymbolKind.Function, false)] // c10: the core every op goes through
    public void A_missing_core_symbol_is_fatal(string name, SymbolKind kind, bool boundAtLoad)
    {
        var check = SymbolCheck.Compare([Import(AddOp), Import(name, kind, boundAtLoad)], new HashSet<string> { AddOp });
        Assert.Equal(name, Assert.Single(check.Core).Name);
        Assert.StartsWith("1 of 2 found; missing 1 needed at load or by every op: ", check.ToString());
    }

    [Fact]
    public void A_long_list_names_five_and_counts_the_rest()
    {
        var imports = Enumerable.Range(0, 8).Select(i => Import($"_ZN2at4_ops{3 + i.ToString().Length}op_{i}4callEv")).ToList();
        var check = SymbolCheck.Compare(imports, new HashSet<string>());
        Assert.EndsWith("at::_ops::op_0::call, at::_ops::op_1::call, at::_ops::op_2::call, at::_ops::op_3::call, at::_ops::op_4::call and 3 more", check.ToString());
    }
}
