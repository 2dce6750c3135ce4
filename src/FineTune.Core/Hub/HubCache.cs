using System.Security.Cryptography;
using System.Text;
using FineTune.Contracts.Transfers;

namespace FineTune.Core.Hub;

/// <summary>
/// The Hugging Face cache as `huggingface_hub` lays it out, so Python and FineTune share one copy of each file:
/// <c>ROOT/models--org--name/blobs/ETAG</c> (the bytes, named by the hub's etag: the SHA-256 of an LFS file, the git blob
/// SHA-1 of any other), <c>snapshots/COMMIT/PATH</c> (relative symbolic links to the blobs) and <c>refs/REVISION</c>
/// (the commit a branch or tag pointed at, no newline). A download is written to <c>blobs/ETAG.incomplete</c> and
/// renamed once its hash is checked.
/// </summary>
public sealed class HubCache(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>HF_HUB_CACHE (or its old name HUGGINGFACE_HUB_CACHE), else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.</summary>
    /// <param name="variable">for tests: reads an environment variable (default: this process's environment)</param>
    public static string DefaultRoot(Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        return variable("HF_HUB_CACHE") is { Length: > 0 } hub ? hub
            : variable("HUGGINGFACE_HUB_CACHE") is { Length: > 0 } old ? old
            : Path.Combine(HubSettings.Home(variable), "hub");
    }

    public string RepoDir(HubRepo repo) => Path.Combine(Root, repo.CacheFolder);

    public string BlobPath(HubRepo repo, string etag) => Path.Combine(RepoDir(repo), "blobs", CheckEtag(etag));

    /// <summary>Where a blob's bytes arrive before they are checked (a cut download resumes from its length).</summary>
    public string IncompletePath(HubRepo repo, string etag) => BlobPath(repo, etag) + ".incomplete";

    /// <summary>The folder of a commit's files: snapshots/COMMIT.</summary>
    public string SnapshotFolder(HubRepo repo, string commit) => Path.Combine(RepoDir(repo), "snapshots", CheckCommit(commit));

    public string SnapshotPath(HubRepo repo, string commit, string path) =>
        Path.Combine(RepoDir(repo), "snapshots", CheckCommit(commit), CheckFilePath(path));

    /// <summary>The commit <paramref name="revision"/> names: itself when it is a commit, else its ref; null when no ref is cached.</summary>
    public string? Commit(HubRepo repo, string revision)
    {
        if (HubRevision.IsCommit(revision)) return revision;
        var file = RefPath(repo, revision);
        return File.Exists(file) && File.ReadAllText(file).Trim() is var commit && HubRevision.IsCommit(commit) ? commit : null;
    }

    /// <summary>Records that <paramref name="revision"/> (a branch or tag) points at <paramref name="commit"/>.</summary>
    public void SetRef(HubRepo repo, string revision, string commit)
    {
        if (HubRevision.IsCommit(revision)) return;
        var file = RefPath(repo, revision);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        AtomicFile.WriteAllText(file, CheckCommit(commit));
    }

    /// <summary>The cached file at <paramref name="path"/> of <paramref name="revision"/> (a snapshot link to a blob that is there), or null.</summary>
    public string? Find(HubRepo repo, string revision, string path)
    {
        if (Commit(repo, revision) is not { } commit) return null;
        var file = new FileInfo(SnapshotPath(repo, commit, path));
        if (!file.Exists) return null;
        // File.Exists is true for a link whose blob is gone: a dangling link is not a cached file.
        return file.LinkTarget is null || file.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true } ? file.FullName : null;
    }

    /// <summary>Links <paramref name="path"/> of <paramref name="commit"/> to the blob <paramref name="etag"/> (relative, as huggingface_hub links).</summary>
    public string Link(HubRepo repo, string commit, string path, string etag)
    {
        var link = SnapshotPath(repo, commit, path);
        var blob = BlobPath(repo, etag);
        if (!File.Exists(blob)) throw new InvalidOperationException($"{repo} {path}: no blob {etag} to link");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        var target = Path.GetRelativePath(Path.GetDirectoryName(link)!, blob);
        if (new FileInfo(link).LinkTarget == target) return link;
        var temporary = $"{link}.{Guid.NewGuid():N}.link";
        File.CreateSymbolicLink(temporary, target);
        File.Move(temporary, link, overwrite: true); // a rename: another process never sees a missing link
        return link;
    }

    /// <summary>The etag a file's bytes give: the SHA-256 (hex) of an LFS file's, or the git blob SHA-1 of any other's.</summary>
    public static bool Matches(string file, string etag)
    {
        using var stream = File.OpenRead(file);
        return etag.Length switch
        {
            64 => Convert.ToHexStringLower(SHA256.HashData(stream)) == etag,
            40 => GitBlobSha1(stream) == etag,
            _ => throw new InvalidDataException($"etag '{etag}' is neither a SHA-256 nor a git SHA-1"),
        };
    }

    /// <summary>git's object id of a file: SHA-1 of "blob SIZE\0" and the bytes.</summary>
    public static string GitBlobSha1(Stream content)
    {
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes($"blob {content.Length - content.Position}\0"));
        var buffer = new byte[1 << 16];
        int n;
        while ((n = content.Read(buffer)) > 0) sha1.AppendData(buffer, 0, n);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    /// <summary>An etag as the hub sends it ("\"abc\"", W/"abc"), as the cache names the blob.</summary>
    public static string NormalizeEtag(string etag) => etag.Trim().Replace("W/", "", StringComparison.Ordinal).Trim('"');

    string RefPath(HubRepo repo, string revision) => Path.Combine(RepoDir(repo), "refs", HubRevision.Check(revision, "revision"));

    static string CheckEtag(string etag) =>
        etag.Length is 40 or 64 && etag.All(Uri.IsHexDigit) ? etag : throw new InvalidDataException($"etag '{etag}' is neither a SHA-256 nor a git SHA-1");

    static string CheckCommit(string commit) =>
        HubRevision.IsCommit(commit) ? commit : throw new InvalidDataException($"'{commit}' is not a commit hash");

    /// <summary>A file's path inside a repo, as listings give it: relative, '/'-separated, never leaving the snapshot.</summary>
    static string CheckFilePath(string path) =>
        path.Length > 0 && path[0] != '/' && !path.Contains('\\') && path.Split('/').All(p => p is not ("" or "." or ".."))
            ? path : throw new InvalidDataException($"'{path}' is not a file path inside a repo");
}
