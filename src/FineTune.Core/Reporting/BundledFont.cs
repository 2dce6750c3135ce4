using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace FineTune.Core.Reporting;

/// <summary>
/// The Inter font (SIL Open Font License), so plots have text on machines without any font installed (slim
/// containers): SkiaSharp's Linux build draws no text at all there. NuGet ships no bare font file we can use, so the
/// build copies the Avalonia.Fonts.Inter package's DLL (never referenced as code, see FineTune.Core.csproj) to
/// <c>fonts/</c> in the output, and this reads the TTF files out of its "!AvaloniaResources" resource without loading it.
/// </summary>
internal static class BundledFont
{
    internal const string FileName = "Avalonia.Fonts.Inter.dll";
    const string ResourceName = "!AvaloniaResources";

    internal sealed record Faces(byte[] Regular, byte[] Bold);

    /// <summary>The font's faces, or null when the DLL is missing or not in the layout this reader knows.</summary>
    internal static Faces? Load()
    {
        foreach (var folder in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(BundledFont).Assembly.Location) })
        {
            if (string.IsNullOrEmpty(folder)) continue;
            var path = Path.Combine(folder, "fonts", FileName);
            if (File.Exists(path)) return TryRead(path);
        }
        return null;
    }

    internal static Faces? TryRead(string dllPath)
    {
        try
        {
            var files = ReadAvaloniaResources(ReadManifestResource(dllPath, ResourceName));
            return files.TryGetValue("/Assets/Inter-Regular.ttf", out var regular) && IsFont(regular)
                && files.TryGetValue("/Assets/Inter-Bold.ttf", out var bold) && IsFont(bold)
                ? new Faces(regular, bold)
                : null;
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or InvalidOperationException or ArgumentException or EndOfStreamException)
        {
            return null; // another package version or a damaged file: fall back to the system's fonts
        }
    }

    static byte[] ReadManifestResource(string dllPath, string name)
    {
        using var pe = new PEReader(File.OpenRead(dllPath));
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || metadata.GetString(resource.Name) != name) continue;
            var directory = pe.PEHeaders.CorHeader?.ResourcesDirectory
                ?? throw new BadImageFormatException($"{dllPath} has no CLI header");
            // ECMA-335 II.6.2.2: each resource in the resources block is a 4-byte length and then the bytes.
            var reader = pe.GetSectionData(directory.RelativeVirtualAddress).GetReader();
            reader.Offset = checked((int)resource.Offset);
            return reader.ReadBytes(reader.ReadInt32());
        }
        throw new InvalidOperationException($"{dllPath} has no resource {name}");
    }

    // Avalonia's resource bundle (format 2): int32 index length, int32 version, int32 count, then per file a
    // length-prefixed path, int32 offset and int32 size; file offsets count from the end of the index.
    static Dictionary<string, byte[]> ReadAvaloniaResources(byte[] bundle)
    {
        using var reader = new BinaryReader(new MemoryStream(bundle));
        var indexLength = reader.ReadInt32();
        var version = reader.ReadInt32();
        if (version != 2) throw new InvalidOperationException($"unknown Avalonia resource format {version}");
        var count = reader.ReadInt32();
        var dataStart = 4 + indexLength;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var path = reader.ReadString();
            var offset = reader.ReadInt32();
            var size = reader.ReadInt32();
            if (offset < 0 || size < 0 || (long)dataStart + offset + size > bundle.Length)
                throw new InvalidOperationException($"resource {path} lies outside the bundle");
            files[path] = bundle.AsSpan(dataStart + offset, size).ToArray();
        }
        return files;
    }

    // TrueType outlines start with version 1.0 (00 01 00 00); anything else is not the file we expect.
    static bool IsFont(byte[] data) => data.Length > 12 && data[0] == 0 && data[1] == 1 && data[2] == 0 && data[3] == 0;
}
