using FineTune.Contracts.Transfers;

namespace FineTune.Core.Tests.Training;

public sealed class AtomicFileTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("finetune-atomicfile-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Writes_and_replaces_without_leaving_temporaries()
    {
        var path = Path.Combine(_folder, "config.json");

        AtomicFile.WriteAllText(path, "{\"a\": \"é\"}");
        Assert.Equal("{\"a\": \"é\"}", File.ReadAllText(path));
        Assert.NotEqual(0xEF, File.ReadAllBytes(path)[0]); // no byte order mark

        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["config.json"], Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void A_missing_folder_fails_like_file_write_and_leaves_nothing() =>
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllText(Path.Combine(_folder, "nope", "x.json"), "{}"));
}
