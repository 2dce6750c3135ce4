using FineTune.Core;
using FineTune.Core.Arguments;
using FineTune.Core.Data;
using FineTune.Core.Hub;
using FineTune.Core.Tokenization;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// The submission check: a submitted options map bound once into the job's spec (TrainingArguments, paths confined),
/// and everything checked before the job is accepted.
/// </summary>
public static class JobSpec
{
    public const string CoordinatorPrefix = JobPaths.Prefix;
    static readonly string[] PathKeys = ["model", "dataset", "eval_dataset"];

    public static TrainingArguments Parse(IReadOnlyDictionary<string, string> options, CoordinatorOptions coordinator) =>
        ArgumentTable.Bind(options, (key, value) => PathKeys.Contains(key) ? Resolve(value, coordinator, ArgumentTable.Describe(key)) : value);

    /// <summary>A model or dataset path, confined to the coordinator's roots (see <see cref="JobPaths"/>).</summary>
    public static string Resolve(string value, CoordinatorOptions coordinator, string key) => JobPaths.Resolve(value, coordinator, key);

    public const int MaxRequestIdLength = 200;
    public const int MaxOptions = 100;
    public const int MaxValueLength = 4096;

    /// <summary>Limits on the request itself, checked before anything is read: option count and sizes, the request id, the world size.</summary>
    public static void CheckRequest(IReadOnlyDictionary<string, string> options, string requestId)
    {
        if (requestId.Length > MaxRequestIdLength) throw new InvalidInputException($"request_id: longer than {MaxRequestIdLength} characters");
        if (options.Count > MaxOptions) throw new InvalidInputException($"options: {options.Count} given, at most {MaxOptions}");
        if (options.ContainsKey("hub_token"))
            throw new InvalidInputException("hub_token: a job never carries a token: set HF_TOKEN on the coordinator, which pushes with its own");
        foreach (var (key, value) in options)
            if (value.Length > MaxValueLength)
                throw new InvalidInputException($"{ArgumentTable.Describe(key)}: value longer than {MaxValueLength} characters");
    }

    /// <summary>What only the coordinator knows: a world size this cluster can never reach would queue forever.</summary>
    public static void CheckCluster(TrainingArguments args, CoordinatorOptions coordinator)
    {
        if (args.Workers > coordinator.MaxWorkers)
            throw new InvalidInputException($"{ArgumentTable.Describe("workers")}: {args.Workers} is more than this cluster can ever have (the coordinator's --max-workers is {coordinator.MaxWorkers})");
        if (args.MinWorkers > coordinator.MaxWorkers)
            throw new InvalidInputException($"{ArgumentTable.Describe("min_workers")}: {args.MinWorkers} is more than this cluster can ever have (the coordinator's --max-workers is {coordinator.MaxWorkers})");
        if (args.PushToHub && args.HubModelId is null)
            throw new InvalidInputException($"{ArgumentTable.Describe("hub_model_id")}: required with --push-to-hub on a cluster (a job has no output folder name to take it from)");
        if (args.PushToHub && PushRefusal(coordinator) is { } refusal)
            throw new InvalidInputException($"{ArgumentTable.Describe("push_to_hub")}: {refusal}");
    }

    /// <summary>Why this coordinator cannot push to the hub (hub access off, no token), or null when it can.</summary>
    public static string? PushRefusal(CoordinatorOptions coordinator) =>
        coordinator.Hub is null ? "hub access is off on this coordinator (--hub-access false)"
        : coordinator.Hub.Token is null ? "the coordinator has no Hugging Face token (set HF_TOKEN in its environment; in Kubernetes the hf-token key of finetune-secrets)"
        : null;

    /// <summary>
    /// What Submit checks before accepting a job, without reading the whole dataset: the options, the model folder
    /// (config, weights, tokenizer) and the dataset's files, columns and first rows; throws InvalidInputException
    /// naming the field. The whole dataset is read and tokenized after acceptance (JobDataWork).
    /// </summary>
    /// For a hub id, only its form is checked here (JobPaths, at binding): no network call, so Submit answers at once;
    /// the model, tokenizer, column and label checks run once the files are in the coordinator's cache.
    public static void Check(TrainingArguments args)
    {
        args.Validate();
        HubInputs.CheckRevisions(args, JobPaths.IsHubId);
        if (!JobPaths.IsHubId(args.Model)) BertTokenizer.FromFolder(CheckModel(args));
        if (!JobPaths.IsHubId(args.Dataset) && !JobPaths.IsHubId(args.EvalDataset)) DatasetLoader.Check(args.ToDatasetOptions());
    }

    /// <summary>The options and the model folder (returned) without reading the dataset.</summary>
    public static string CheckModel(TrainingArguments args)
    {
        args.Validate();
        return ModelCheck.Run(args).Folder;
    }
}
