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

    /// <summary>Files above this size go to LFS whatever their name (the hub's 10 MiB limit on regular files).</summary>
    public const long LfsAbove = 10L << 20;

    /// <summary>A fixture's file: LFS by <see cref="IsLfsByRule"/>.</summary>
    public HubBlob(string path, byte[] bytes) : this(path, bytes, IsLfsByRule(path, bytes.Length)) { }

    /// <summary>A pushed file: LFS when the commit named it an lfsFile, as the hub keeps what the client chose.</summary>
    public HubBlob(string path, byte[] bytes, bool isLfs)
    {
        Path = path;
        Bytes = bytes;
        IsLfs = isLfs;
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

    /// <summary>Whether a file of this path and size is stored in LFS: an LFS extension, or over 10 MiB.</summary>
    public static bool IsLfsByRule(string path, long size) =>
        size > LfsAbove || LfsExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    public static string GitBlobOid(byte[] bytes)
    {
        var header = Encoding.ASCII.GetBytes($"blob {bytes.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. bytes]));
    }
}

/// <summary>One commit of a served repo: its id, its files by path, and its parent (null for the first).</summary>
public sealed class HubCommit
{
    static readonly DateTime FixtureEpoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>A fixture's commit: titled and dated by its place in the history.</summary>
    public HubCommit(HubCommit? parent, IReadOnlyDictionary<string, byte[]> files, int number)
        : this(parent, files.Select(f => new HubBlob(f.Key, f.Value)), number == 0 ? "Initial commit" : $"Update {number}", "", FixtureEpoch.AddDays(number), pushed: false)
    {
    }

    /// <summary>A pushed commit: its blobs (unchanged ones shared with the parent), title, description and date.</summary>
    public HubCommit(HubCommit? parent, IEnumerable<HubBlob> files, string title, string description, DateTime date)
        : this(parent, files, title, description, date, pushed: true)
    {
    }

    HubCommit(HubCommit? parent, IEnumerable<HubBlob> files, string title, string description, DateTime date, bool pushed)
    {
        Parent = parent;
        Files = files.ToDictionary(b => b.Path, StringComparer.Ordinal);
        Title = title;
        Description = description;
        Date = date;
        var text = new StringBuilder($"parent {parent?.Id}\n");
        foreach (var blob in Files.Values.OrderBy(b => b.Path, StringComparer.Ordinal)) text.Append($"{blob.Path}\0{blob.GitOid}\n");
        // A pushed commit's id also covers its message and time, so pushing the same files twice makes two commits.
        if (pushed) text.Append($"{title}\0{description}\0{date.Ticks}\n");
        Id = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public string Id { get; }
    public string Title { get; }
    public string Description { get; }
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
