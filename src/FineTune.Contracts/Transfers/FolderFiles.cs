namespace FineTune.Contracts.Transfers;

/// <summary>One file of a folder as it travels: where it lies, and its name on the wire (relative, '/' separators).</summary>
public sealed record FolderFile(string Path, string Name);

/// <summary>
/// The one rule for which files of a folder travel (uploads, result uploads, model and checkpoint blobs, downloads):
/// every file whose relative path has no hidden part (a file or folder name starting with '.', such as AtomicFile's
/// temporaries), in ordinal order of the relative path with '/' separators, as jobs.proto's upload-ID rule says.
/// </summary>
public static class FolderFiles
{
    /// <param name="folder">The folder to list.</param>
    /// <param name="recursive">Subfolders too (names "sub/file"); false: the folder's own files only.</param>
    public static IReadOnlyList<FolderFile> List(string folder, bool recursive = false) =>
        Directory.EnumerateFiles(folder, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Select(path => new FolderFile(path, Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/')))
            .Where(f => !f.Name.Split('/').Any(part => part.StartsWith('.')))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
}
