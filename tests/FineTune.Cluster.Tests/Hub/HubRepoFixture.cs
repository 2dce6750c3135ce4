using System.Security.Cryptography;
using System.Text;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>Who may read a repo: anyone, any valid token (private), or a token whose account accepted its gate.</summary>
public enum HubVisibility { Public, Private, Gated }

/// <summary>An earlier commit of a repo (the history is oldest first) and the refs (tags, branches) that point at it.</summary>
public sealed record HubCommitFixture(IReadOnlyDictionary<string, byte[]> Files, params string[] Refs);

/// <summary>
/// A repo the test hub serves, made at test time: its type ("model" or "dataset"), id ("owner/name", or a legacy
/// "name"), the files of main's head, who may read it, the old ids it was renamed from and its earlier commits.
/// </summary>
public sealed record HubRepoFixture(string Type, string Id, IReadOnlyDictionary<string, byte[]> Files)
{
    public HubVisibility Visibility { get; init; } = HubVisibility.Public;

    /// <summary>Ids the repo had before (requests for them are redirected, as the hub redirects renamed repos).</summary>
    public IReadOnlyList<string> RenamedFrom { get; init; } = [];

    /// <summary>Commits before main's head, oldest first; main's head is <see cref="Files"/> on top of them.</summary>
    public IReadOnlyList<HubCommitFixture> History { get; init; } = [];

    /// <summary>"models" or "datasets", as the API paths name the type.</summary>
    public string ApiType => Type + "s";

    /// <summary>The repo's URL path: the id for a model, datasets/ID for a dataset.</summary>
    public string UrlPath => Type == "model" ? Id : $"{ApiType}/{Id}";
}

/// <summary>A file as git and LFS know it: its git blob id, and for an LFS file its SHA-256 and pointer.</summary>
public sealed class HubBlob
{
    static readonly string[] LfsExtensions = [".safetensors", ".bin", ".parquet", ".arrow", ".h5", ".msgpack", ".onnx", ".pt", ".pth"];
    const long LfsAbove = 10L << 20;

    public HubBlob(string path, byte[] bytes)
    {
        Path = path;
        Bytes = bytes;
        IsLfs = bytes.Length > LfsAbove || LfsExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));
        if (IsLfs)
        {
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
            // The repo holds a pointer file in the LFS spec's format; its git id is the file's oid on the hub.
            var pointer = Encoding.UTF8.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256}\nsize {bytes.Length}\n");
            PointerSize = pointer.Length;
            GitOid = GitBlobOid(pointer);
        }
        else GitOid = GitBlobOid(bytes);
    }

    public string Path { get; }
    public byte[] Bytes { get; }
    public bool IsLfs { get; }
    public string GitOid { get; }
    public string? Sha256 { get; }
    public int PointerSize { get; }

    /// <summary>What a client caches the blob under: the SHA-256 of an LFS file, else the git blob id.</summary>
    public string Etag => Sha256 ?? GitOid;

    public static string GitBlobOid(byte[] bytes)
    {
        var header = Encoding.ASCII.GetBytes($"blob {bytes.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. bytes]));
    }
}

/// <summary>One commit of a served repo: its id, its files by path, and its parent (null for the first).</summary>
public sealed class HubCommit
{
    public HubCommit(HubCommit? parent, IReadOnlyDictionary<string, byte[]> files, int number)
    {
        Parent = parent;
        Files = files.ToDictionary(f => f.Key, f => new HubBlob(f.Key, f.Value), StringComparer.Ordinal);
        Title = number == 0 ? "Initial commit" : $"Update {number}";
        var text = new StringBuilder($"parent {parent?.Id}\n");
        foreach (var blob in Files.Values.OrderBy(b => b.Path, StringComparer.Ordinal)) text.Append($"{blob.Path}\0{blob.GitOid}\n");
        Id = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text.ToString())));
        Date = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(number);
    }

    public string Id { get; }
    public string Title { get; }
    public DateTime Date { get; }
    public HubCommit? Parent { get; }
    public IReadOnlyDictionary<string, HubBlob> Files { get; }

    /// <summary>The last commit up to this one that changed <paramref name="path"/> (the hub's lastCommit of a file).</summary>
    public HubCommit LastChange(string path)
    {
        var commit = this;
        while (commit.Parent is { } parent && parent.Files.TryGetValue(path, out var before) && before.GitOid == commit.Files[path].GitOid)
            commit = parent;
        return commit;
    }

    /// <summary>The folders of this commit's files ("a", "a/b" for "a/b/c.txt").</summary>
    public IEnumerable<string> Directories() =>
        Files.Keys.SelectMany(p => p.Split('/')[..^1].Select((_, i) => string.Join('/', p.Split('/')[..(i + 1)]))).Distinct();
}

/// <summary>A fixture as the hub serves it: its commits and the refs that name them.</summary>
public sealed class HubRepoState
{
    public HubRepoState(HubRepoFixture fixture)
    {
        Fixture = fixture;
        HubCommit? parent = null;
        var commits = new List<HubCommit>();
        var refs = new Dictionary<string, HubCommit>(StringComparer.Ordinal);
        foreach (var (earlier, i) in fixture.History.Select((c, i) => (c, i)))
        {
            parent = new HubCommit(parent, earlier.Files, i);
            commits.Add(parent);
            foreach (var name in earlier.Refs) refs[name] = parent;
        }
        Head = new HubCommit(parent, fixture.Files, fixture.History.Count);
        commits.Add(Head);
        refs["main"] = Head;
        Commits = commits;
        Refs = refs;
    }

    public HubRepoFixture Fixture { get; }
    public HubCommit Head { get; }
    public IReadOnlyList<HubCommit> Commits { get; }
    public IReadOnlyDictionary<string, HubCommit> Refs { get; }

    /// <summary>The commit a branch, tag or full commit id names; null when none.</summary>
    public HubCommit? Resolve(string revision) =>
        Refs.TryGetValue(revision, out var named) ? named : Commits.FirstOrDefault(c => c.Id == revision);
}
