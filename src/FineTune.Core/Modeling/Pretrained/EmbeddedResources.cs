using System.Buffers.Binary;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace FineTune.Core.Modeling.Pretrained;

/// <summary>
/// Reads the manifest resources embedded in a .NET assembly file without loading the assembly
/// (it may target another framework, and loading it would pin it in the process).
/// </summary>
public static class EmbeddedResources
{
    public static IReadOnlyList<string> Names(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        return Names(pe.GetMetadataReader()).ToArray();
    }

    public static byte[] Read(string assemblyPath, string resourceName)
    {
        using var stream = File.OpenRead(assemblyPath);
        long start;
        using (var pe = new PEReader(stream, PEStreamOptions.LeaveOpen))
            start = Locate(pe, assemblyPath, resourceName);

        // The resource is a 4-byte little-endian length followed by that many bytes.
        Span<byte> prefix = stackalloc byte[4];
        stream.Position = start;
        stream.ReadExactly(prefix);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
        if (start + 4 + length > stream.Length)
            throw new InvalidDataException($"{assemblyPath}: resource '{resourceName}' claims {length} bytes, past the end of the file");
        var data = new byte[length];
        stream.ReadExactly(data);
        return data;
    }

    /// <summary>The file offset of the resource's length prefix.</summary>
    static long Locate(PEReader pe, string assemblyPath, string resourceName)
    {
        if (!pe.HasMetadata) throw new InvalidDataException($"{assemblyPath} is not a .NET assembly");
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!metadata.StringComparer.Equals(resource.Name, resourceName)) continue;
            if (!resource.Implementation.IsNil)
                throw new InvalidDataException($"{assemblyPath}: resource '{resourceName}' lives in another file, not embedded");

            // Embedded resources are stored back to back in the CLI header's Resources directory.
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            if (!pe.PEHeaders.TryGetDirectoryOffset(directory, out var directoryOffset))
                throw new InvalidDataException($"{assemblyPath}: the resources directory is not in any section");
            if (resource.Offset + 4 > directory.Size)
                throw new InvalidDataException($"{assemblyPath}: resource '{resourceName}' lies outside the resources directory");
            return directoryOffset + resource.Offset;
        }
        throw new InvalidDataException(
            $"{assemblyPath} has no embedded resource '{resourceName}' (it has: {string.Join(", ", Names(metadata))})");
    }

    static IEnumerable<string> Names(MetadataReader metadata) =>
        metadata.ManifestResources.Select(h => metadata.GetString(metadata.GetManifestResource(h).Name));
}
