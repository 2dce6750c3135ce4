using System.Diagnostics;
using FineTune.Core.Modeling.Pretrained;

namespace FineTune.Core.Tests.Pretrained;

/// <summary>The default model converted once into a temporary cache, shared by the tests that read it.</summary>
public sealed class ConvertedDefaultModel : IDisposable
{
    public ConvertedDefaultModel()
    {
        CacheRoot = Directory.CreateTempSubdirectory("finetune-default-model-").FullName;
        var clock = Stopwatch.StartNew();
        Folder = DefaultModel.EnsureFolder(CacheRoot);
        ConversionTime = clock.Elapsed;
    }

    public string CacheRoot { get; }
    public string Folder { get; }
    public TimeSpan ConversionTime { get; }

    public void Dispose() => Directory.Delete(CacheRoot, recursive: true);
}

[CollectionDefinition(Name)]
public sealed class DefaultModelCollection : ICollectionFixture<ConvertedDefaultModel>
{
    public const string Name = "default model";
}
