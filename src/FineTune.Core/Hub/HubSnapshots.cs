using System.Text.Json;
using FineTune.Core.Data;
using FineTune.Core.Modeling;

namespace FineTune.Core.Hub;

/// <summary>What a job took from the hub: the repo, the revision asked for, the commit it named, and its snapshot folder.</summary>
public sealed record HubSnapshot(HubRepo Repo, string Revision, string Commit, string Folder);

/// <summary>
/// Brings into the cache only the files a job needs of a hub repo, and answers the snapshot folder that holds them:
/// for a model, config.json, the weights (model.safetensors, else a sharded index and its shards, else
/// pytorch_model.bin) and the tokenizer files; for a dataset, README.md and the data files of the splits in use, as
/// <see cref="DatasetLayout"/> chooses them. Online, the revision is resolved to a commit and the commit's tree listed;
/// offline (HF_HUB_OFFLINE), the cached ref and snapshot are the listing, and a missing file is one line.
/// </summary>
public sealed class HubSnapshots(HubClient client, Action<string, long, long>? progress = null)
{
    static readonly string[] TokenizerFiles = ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

    public async Task<HubSnapshot> ModelAsync(HubRepo repo, string revision, CancellationToken cancel = default)
    {
        var (commit, files) = await ListAsync(repo, revision, cancel);
        if (!files.Contains("config.json"))
            throw new InvalidInputException($"{repo}@{revision}: no config.json at commit {commit}: not a Hugging Face model repository");
        var weights = CheckpointReader.WeightFiles.FirstOrDefault(files.Contains)
            ?? throw new InvalidInputException($"{repo}@{revision}: no weights at commit {commit} (expected one of {string.Join(", ", CheckpointReader.WeightFiles)})");
        var wanted = new List<string> { "config.json", weights };
        wanted.AddRange(TokenizerFiles.Where(files.Contains));
        foreach (var path in wanted) await FetchAsync(repo, commit, path, cancel);
        if (weights.EndsWith(".index.json", StringComparison.Ordinal))
            foreach (var shard in Shards(client.Cache.SnapshotPath(repo, commit, weights), repo))
                await FetchAsync(repo, commit, shard, cancel);
        return new HubSnapshot(repo, revision, commit, Folder(repo, commit));
    }

    /// <param name="config">--dataset-config, or null for the README's default</param>
    /// <param name="eval">whether the eval split (test, else validation) is in use besides train</param>
    /// <param name="train">whether the train split is in use (false for an eval dataset)</param>
    public async Task<HubSnapshot> DatasetAsync(HubRepo repo, string revision, string? config, string labelColumn, bool train, bool eval, CancellationToken cancel = default)
    {
        var (commit, files) = await ListAsync(repo, revision, cancel);
        string? readme = null;
        if (files.Contains("README.md")) readme = await File.ReadAllTextAsync(await FetchAsync(repo, commit, "README.md", cancel), cancel);
        var splits = DatasetLayout.Select(readme, [.. files], config, labelColumn, repo.Id);
        var wanted = (train ? splits.Train : []).Concat(eval ? splits.Eval : []).ToList();
        if (train && splits.Train.Count == 0)
            throw new InvalidInputException($"--dataset {repo.Id}: no train split at commit {commit} (splits: {string.Join(", ", splits.Files.Keys)})");
        foreach (var path in wanted) await FetchAsync(repo, commit, path, cancel);
        return new HubSnapshot(repo, revision, commit, Folder(repo, commit));
    }

    string Folder(HubRepo repo, string commit) => client.Cache.SnapshotFolder(repo, commit);

    /// <summary>The commit and its files: from the hub, or offline from the cached ref and snapshot.</summary>
    async Task<(string Commit, HashSet<string> Files)> ListAsync(HubRepo repo, string revision, CancellationToken cancel)
    {
        if (client.Settings.Offline)
        {
            var cached = client.Cache.Commit(repo, revision);
            var folder = cached is null ? null : Folder(repo, cached);
            if (folder is null || !Directory.Exists(folder))
                throw new InvalidInputException($"{repo}@{revision}: not in the cache ({client.Cache.Root}) and HF_HUB_OFFLINE is set: nothing is downloaded");
            return (cached!, [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))]);
        }
        var commit = await client.CommitAsync(repo, revision, cancel);
        client.Cache.SetRef(repo, revision, commit);
        var tree = await client.TreeAsync(repo, commit, cancel);
        return (commit, [.. tree.Select(f => f.Path)]);
    }

    Task<string> FetchAsync(HubRepo repo, string commit, string path, CancellationToken cancel) =>
        client.DownloadAsync(repo, commit, path, progress is null ? null : (received, total) => progress($"{repo.Id} {path}", received, total), cancel);

    /// <summary>The shard files a sharded checkpoint's index names (its weight_map's values).</summary>
    static IEnumerable<string> Shards(string index, HubRepo repo)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(index));
            return [.. json.RootElement.GetProperty("weight_map").EnumerateObject().Select(p => p.Value.GetString()!).Distinct().Order(StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidInputException($"{repo} {Path.GetFileName(index)}: not a weight index (no weight_map of tensor names to files): {e.Message}");
        }
    }
}
