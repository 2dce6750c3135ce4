using System.Text;
using FineTune.Core.Hub;

namespace FineTune.Core.Tests.Hub;

/// <summary>Hub ids, revisions and the cache layout huggingface_hub writes, so Python and FineTune share one cache.</summary>
public class HubCacheTests
{
    static string TempDir() => Directory.CreateTempSubdirectory("finetune-hub-").FullName;

    [Theory]
    [InlineData("google-bert/bert-base-cased", "model", "models--google-bert--bert-base-cased", "google-bert/bert-base-cased")]
    [InlineData("Yelp/yelp_review_full", "dataset", "datasets--Yelp--yelp_review_full", "datasets/Yelp/yelp_review_full")]
    [InlineData("yelp_review_full", "dataset", "datasets--yelp_review_full", "datasets/yelp_review_full")]
    [InlineData("bert-base-uncased", "model", "models--bert-base-uncased", "bert-base-uncased")]
    public void An_id_names_its_cache_folder_and_url_as_huggingface_hub_does(string id, string type, string folder, string url)
    {
        var repo = HubRepo.Parse(type, id, "--model");
        Assert.Equal((folder, url), (repo.CacheFolder, repo.UrlPath));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a/b/c", "at most one '/'")]
    [InlineData("org/na me", "letters, digits")]
    [InlineData("org--x/name", "'--' and '..'")]
    [InlineData("-org/name", "may not start or end")]
    [InlineData("org/name.", "may not start or end")]
    public void A_value_that_is_not_an_id_is_refused_naming_the_option(string id, string problem)
    {
        var e = Assert.Throws<InvalidInputException>(() => HubRepo.Parse(HubRepo.Model, id, "--model (model)"));
        Assert.StartsWith($"--model (model): '{id}' is not a Hugging Face Hub id (", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Contains("(longer than 96 characters)", Assert.Throws<InvalidInputException>(() => HubRepo.Parse(HubRepo.Model, new string('a', 97), "--model")).Message);
    }

    [Theory]
    [InlineData("main", true)]
    [InlineData("refs/pr/1", true)]
    [InlineData("v1.0", true)]
    [InlineData("../main", false)]
    [InlineData("", false)]
    [InlineData("a\\b", false)]
    public void Revisions_are_checked_before_they_name_a_ref(string revision, bool valid)
    {
        if (valid) Assert.Equal(revision, HubRevision.Check(revision, "--model-revision"));
        else Assert.StartsWith($"--model-revision: '{revision}' is not a revision", Assert.Throws<InvalidInputException>(() => HubRevision.Check(revision, "--model-revision")).Message);
    }

    [Fact]
    public void The_cache_root_follows_the_variables_in_huggingface_hubs_order()
    {
        var env = new Dictionary<string, string> { ["HF_HUB_CACHE"] = "/a", ["HUGGINGFACE_HUB_CACHE"] = "/old", ["HF_HOME"] = "/b", ["XDG_CACHE_HOME"] = "/c" };
        string? Read(string name) => env.GetValueOrDefault(name);
        Assert.Equal("/a", HubCache.DefaultRoot(Read));
        env.Remove("HF_HUB_CACHE");
        Assert.Equal("/old", HubCache.DefaultRoot(Read));
        env.Remove("HUGGINGFACE_HUB_CACHE");
        Assert.Equal("/b/hub", HubCache.DefaultRoot(Read));
        env.Remove("HF_HOME");
        Assert.Equal("/c/huggingface/hub", HubCache.DefaultRoot(Read));
        env.Remove("XDG_CACHE_HOME");
        Assert.EndsWith("/.cache/huggingface/hub", HubCache.DefaultRoot(Read));
    }

    [Fact]
    public void A_blob_is_linked_into_its_snapshot_relatively_and_found_through_the_ref()
    {
        var cache = new HubCache(TempDir());
        var repo = HubRepo.Parse(HubRepo.Model, "google-bert/bert-base-cased", "--model");
        var commit = new string('c', 40);
        var content = Encoding.UTF8.GetBytes("hello\n");
        var etag = "ce013625030ba8dba906f756967f9e9ca394464a"; // git hash-object of "hello\n"
        Directory.CreateDirectory(Path.GetDirectoryName(cache.BlobPath(repo, etag))!);
        File.WriteAllBytes(cache.BlobPath(repo, etag), content);
        Assert.True(HubCache.Matches(cache.BlobPath(repo, etag), etag));

        Assert.Null(cache.Find(repo, "main", "config.json")); // no ref yet
        cache.SetRef(repo, "main", commit);
        Assert.Equal(commit, File.ReadAllText(Path.Combine(cache.RepoDir(repo), "refs", "main"))); // no newline, as Python writes it
        var top = cache.Link(repo, commit, "config.json", etag);
        var nested = cache.Link(repo, commit, "1_Pooling/config.json", etag);
        Assert.Equal($"../../blobs/{etag}", new FileInfo(top).LinkTarget);
        Assert.Equal($"../../../blobs/{etag}", new FileInfo(nested).LinkTarget);
        Assert.Equal(top, cache.Find(repo, "main", "config.json"));
        Assert.Equal(nested, cache.Find(repo, commit, "1_Pooling/config.json")); // a commit needs no ref
        Assert.Equal(content, File.ReadAllBytes(cache.Find(repo, "main", "1_Pooling/config.json")!));
        Assert.Equal(top, cache.Link(repo, commit, "config.json", etag)); // linking again changes nothing

        File.Delete(cache.BlobPath(repo, etag));
        Assert.Null(cache.Find(repo, "main", "config.json")); // a dangling link is not a cached file
        Assert.Throws<InvalidDataException>(() => cache.SnapshotPath(repo, commit, "../refs/main"));
    }

    [Fact]
    public void Etags_are_checked_as_sha256_for_lfs_files_and_git_sha1_for_the_others()
    {
        var file = Path.Combine(TempDir(), "weights");
        File.WriteAllBytes(file, [1, 2, 3]);
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(new byte[] { 1, 2, 3 }));
        Assert.True(HubCache.Matches(file, sha256));
        Assert.False(HubCache.Matches(file, new string('0', 64)));
        Assert.False(HubCache.Matches(file, new string('0', 40)));
        Assert.Equal(sha256, HubCache.NormalizeEtag($"W/\"{sha256}\""));
        Assert.Throws<InvalidDataException>(() => HubCache.Matches(file, "abc"));
    }
}
