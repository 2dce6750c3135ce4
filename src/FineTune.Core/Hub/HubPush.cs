using FineTune.Contracts.Transfers;
using FineTune.Core.Checkpointing;

namespace FineTune.Core.Hub;

/// <summary>
/// What push_to_hub sends, and where: an output folder's files but its checkpoints (as Trainer ignores
/// "checkpoint-*"), or a checkpoint's model files for hub_strategy every_save ("Training in progress, step N"); the
/// repo is hub_model_id, a bare name taking the token's namespace (whoami), as Trainer's default does.
/// </summary>
public static class HubPush
{
    /// <summary>A checkpoint's files that make a loadable model (not its optimizer state nor resume data).</summary>
    static readonly string[] ModelFiles =
        ["config.json", "model.safetensors", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", Checkpoints.StateFile];

    /// <summary>An output folder's files as a push sends them: everything but checkpoint folders and hidden files.</summary>
    public static IReadOnlyList<FolderFile> OutputFiles(string folder) =>
        [.. FolderFiles.List(folder, recursive: true).Where(f => !f.Name.StartsWith(Checkpoints.Prefix, StringComparison.Ordinal))];

    /// <summary>A checkpoint's model files, to the repo's root.</summary>
    public static IReadOnlyList<FolderFile> CheckpointFiles(string checkpoint) =>
        [.. FolderFiles.List(checkpoint).Where(f => ModelFiles.Contains(f.Name))];

    /// <summary>The repo <paramref name="modelId"/> names: ORG/NAME as it is, a bare NAME in the token's own namespace.</summary>
    public static async Task<HubRepo> RepoAsync(HubClient client, string modelId, CancellationToken cancel = default) =>
        HubRepo.Parse(HubRepo.Model, modelId.Contains('/') ? modelId : $"{await client.WhoAmIAsync(cancel)}/{modelId}", "--hub-model-id (hub_model_id)");

    /// <summary>The repo name a job pushes to: hub_model_id, else (train) the output folder's name.</summary>
    public static string ModelId(string? hubModelId, string? outputDir) =>
        hubModelId ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(outputDir ?? throw new InvalidInputException("--hub-model-id (hub_model_id): required to push without an output folder")));
}
