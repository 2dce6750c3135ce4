using FineTune.Core.Tests.Modeling;
using FineTune.Core.Torch;

namespace FineTune.Core.Tests.Torch;

/// <summary>A libtorch folder's version, from what each distribution leaves beside its lib folder.</summary>
public class LibTorchVersionTests
{
    [Fact]
    public void The_libtorch_zip_has_build_version_beside_lib()
    {
        var lib = Lib(TinyModels.TempDir());
        File.WriteAllText(Path.Combine(lib, "..", "build-version"), "2.10.0+cpu\n");
        Assert.Equal("2.10.0+cpu", LibTorchVersion.Read(lib));
    }

    [Fact]
    public void A_python_torch_has_version_py_beside_lib()
    {
        var lib = Lib(TinyModels.TempDir());
        File.WriteAllText(Path.Combine(lib, "..", "version.py"), "from typing import Optional\n\n__all__ = ['__version__']\n__version__ = '2.11.0+cu130'\ncuda: Optional[str] = '13.0'\n");
        Assert.Equal("2.11.0+cu130", LibTorchVersion.Read(lib + "/"));
    }

    [Fact]
    public void A_nuget_package_names_its_version_in_its_path() => Assert.Equal(TorchBuild.BuiltAgainst, LibTorchVersion.Read(NuGetLibTorch.CpuFolder));

    [Fact]
    public void Otherwise_the_version_is_unknown() => Assert.Equal("unknown", LibTorchVersion.Read(Lib(TinyModels.TempDir())));

    static string Lib(string root) => Directory.CreateDirectory(Path.Combine(root, "lib")).FullName;
}
