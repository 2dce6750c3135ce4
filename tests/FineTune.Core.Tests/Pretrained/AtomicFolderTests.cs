namespace FineTune.Core.Tests.Pretrained;

public sealed class AtomicFolderTests : IDisposable
{
    readonly string _parent = Directory.CreateTempSubdirectory("finetune-atomic-").FullName;

    string Target => Path.Combine(_parent, "thing");

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    [Fact]
    public void Fills_once_then_reuses()
    {
        var fills = 0;
        void Fill(string folder) { fills++; File.WriteAllText(Path.Combine(folder, "a.txt"), "a"); }

        Assert.Equal(Target, AtomicFolder.Ensure(Target, Fill));
        Assert.Equal(Target, AtomicFolder.Ensure(Target, Fill));
        Assert.Equal(1, fills);
        Assert.Equal("a", File.ReadAllText(Path.Combine(Target, "a.txt")));
        Assert.Equal(["thing"], Directory.GetDirectories(_parent).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_fill_leaves_nothing_behind()
    {
        Assert.Throws<InvalidOperationException>(() => AtomicFolder.Ensure(Target, _ => throw new InvalidOperationException("boom")));
        Assert.Empty(Directory.GetFileSystemEntries(_parent));
    }

    [Fact]
    public void Replaces_a_folder_without_the_marker()
    {
        Directory.CreateDirectory(Target);
        File.WriteAllText(Path.Combine(Target, "partial.txt"), "left by an interrupted copy");

        AtomicFolder.Ensure(Target, folder => File.WriteAllText(Path.Combine(folder, "a.txt"), "a"));

        Assert.True(AtomicFolder.IsComplete(Target));
        Assert.False(File.Exists(Path.Combine(Target, "partial.txt")));
    }

    [Fact]
    public void Racing_writers_all_get_the_one_winning_folder()
    {
        var results = new string[8];
        Parallel.For(0, results.Length, i => results[i] = AtomicFolder.Ensure(Target, folder =>
        {
            Thread.Sleep(50); // keep the writers overlapping
            File.WriteAllText(Path.Combine(folder, "writer.txt"), i.ToString());
        }));

        Assert.All(results, r => Assert.Equal(Target, r));
        Assert.True(AtomicFolder.IsComplete(Target));
        Assert.Equal(["thing"], Directory.GetDirectories(_parent).Select(Path.GetFileName));
    }
}
