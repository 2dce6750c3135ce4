using FineTune.Contracts.Transfers;
using FineTune.Core.Tests.Data;

namespace FineTune.Core.Tests.Transfers;

/// <summary>The one rule for which files of a folder travel: no hidden part, ordinal order of the '/' name.</summary>
public class FolderFilesTests
{
    static string Folder()
    {
        var dir = DataFixtures.TempDir();
        foreach (var name in new[] { "b.txt", "a.txt", "B.txt", ".hidden", ".git/config", "sub/x.txt", "sub/.tmp", "sub/.cache/y.txt", "a-b/z.txt", "sub/deeper/w.txt" })
        {
            var path = Path.Combine([dir, .. name.Split('/')]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, name);
        }
        return dir;
    }

    [Fact]
    public void Flat_lists_the_folders_own_visible_files_in_ordinal_order()
    {
        var dir = Folder();
        var files = FolderFiles.List(dir);
        Assert.Equal(["B.txt", "a.txt", "b.txt"], files.Select(f => f.Name));
        Assert.All(files, f => Assert.Equal(f.Name, File.ReadAllText(f.Path)));
    }

    [Fact]
    public void Recursive_names_subfolder_files_with_slashes_and_leaves_hidden_folders_out()
    {
        var dir = Folder();
        var files = FolderFiles.List(dir, recursive: true);
        // '-' (0x2D) sorts before '.' and '/' and the letters: ordinal order of the names as the wire spells them.
        Assert.Equal(["B.txt", "a-b/z.txt", "a.txt", "b.txt", "sub/deeper/w.txt", "sub/x.txt"], files.Select(f => f.Name));
        Assert.All(files, f => Assert.Equal(f.Name, File.ReadAllText(f.Path)));
    }

    [Fact]
    public void An_empty_or_all_hidden_folder_lists_nothing()
    {
        var dir = DataFixtures.TempDir();
        File.WriteAllText(Path.Combine(dir, ".only"), "x");
        Assert.Empty(FolderFiles.List(dir, recursive: true));
    }
}
