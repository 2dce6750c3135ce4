using System.Text.Json.Nodes;
using FineTune.Core.Arguments;
using FineTune.Core.Data;
using FineTune.Core.Modeling.Pretrained;

namespace FineTune.Core.Hub;

/// <summary>
/// A job's model and datasets named by hub id, turned into snapshot folders in the cache. A value is an id when it
/// is not "default", not an existing local path (a local path of that name wins, as in transformers) and has an id's
/// form; <see cref="Apply"/> gives the arguments with the folders in place of the ids, and <see cref="Sources"/>
/// the commits they came from (trainer_state.json, the job record), so a run can be repeated on the same inputs.
/// </summary>
public sealed record HubInputs(HubSnapshot? Model, HubSnapshot? Dataset, HubSnapshot? EvalDataset)
{
    public static readonly HubInputs None = new(null, null, null);

    /// <summary>Whether the value names a hub repo for a command run here: not default, not a local path, an id's form.</summary>
    public static bool IsLocalId(string? value) =>
        value is { Length: > 0 } && !DefaultModel.IsDefault(value) && !DefaultDataset.IsDefault(value)
        && !Directory.Exists(value) && !File.Exists(value) && MayBeId(value);

    /// <summary>An id's form, and not a data file's name (train.csv is a missing file, not a repo).</summary>
    public static bool MayBeId(string value) => HubRepo.Problem(HubRepo.Model, value) is null && !IsDataFileName(value);

    /// <summary>A name ending as a data file does (.csv, .jsonl, .json, .parquet): a path, never taken for a repo id.</summary>
    public static bool IsDataFileName(string value) => DataFile.IsSupported(value);

    /// <summary>Whether the job names anything on the hub (by <paramref name="isId"/>'s rule).</summary>
    public static bool Needed(TrainingArguments args, Func<string?, bool> isId) => isId(args.Model) || isId(args.Dataset) || isId(args.EvalDataset);

    /// <summary>Downloads what the job's ids need (each input whose value <paramref name="isId"/> says is an id).</summary>
    public static async Task<HubInputs> ResolveAsync(TrainingArguments args, HubSnapshots hub, Func<string?, bool> isId, CancellationToken cancel = default)
    {
        CheckRevisions(args, isId);
        var model = isId(args.Model)
            ? await hub.ModelAsync(HubRepo.Parse(HubRepo.Model, args.Model, "--model"), args.ModelRevision ?? HubRevision.Default, cancel) : null;
        var dataset = isId(args.Dataset)
            ? await hub.DatasetAsync(HubRepo.Parse(HubRepo.Dataset, args.Dataset, "--dataset"), args.DatasetRevision ?? HubRevision.Default,
                args.DatasetConfig, args.LabelColumn, train: true, eval: args.EvalDataset is null, cancel) : null;
        var eval = isId(args.EvalDataset)
            ? await hub.DatasetAsync(HubRepo.Parse(HubRepo.Dataset, args.EvalDataset!, "--eval-dataset"), args.EvalDatasetRevision ?? HubRevision.Default,
                null, args.LabelColumn, train: false, eval: true, cancel) : null;
        return new HubInputs(model, dataset, eval);
    }

    /// <summary>The arguments with each downloaded input's snapshot folder in place of its id.</summary>
    public TrainingArguments Apply(TrainingArguments args) => args with
    {
        Model = Model?.Folder ?? args.Model,
        Dataset = Dataset?.Folder ?? args.Dataset,
        EvalDataset = EvalDataset?.Folder ?? args.EvalDataset,
    };

    /// <summary>{"model": {"id", "revision", "commit"}, "dataset": ..., "eval_dataset": ...}: what came from the hub.</summary>
    public JsonObject Sources()
    {
        var sources = new JsonObject();
        foreach (var (key, snapshot) in new[] { ("model", Model), ("dataset", Dataset), ("eval_dataset", EvalDataset) })
            if (snapshot is not null)
                sources[key] = new JsonObject { ["id"] = snapshot.Repo.Id, ["revision"] = snapshot.Revision, ["commit"] = snapshot.Commit };
        return sources;
    }

    /// <summary>The inputs <see cref="Sources"/> recorded, with their snapshot folders in <paramref name="cache"/> (nothing is downloaded).</summary>
    public static HubInputs FromSources(JsonObject? sources, HubCache cache)
    {
        HubSnapshot? Read(string key, string type)
        {
            if (sources?[key] is not JsonObject o) return null;
            var repo = HubRepo.Parse(type, (string)o["id"]!, key);
            var commit = (string)o["commit"]!;
            return new HubSnapshot(repo, (string)o["revision"]!, commit, cache.SnapshotFolder(repo, commit));
        }
        return new HubInputs(Read("model", HubRepo.Model), Read("dataset", HubRepo.Dataset), Read("eval_dataset", HubRepo.Dataset));
    }

    /// <summary>Revisions name hub ids only, and a config a hub dataset or a folder (InvalidInputException naming the option).</summary>
    public static void CheckRevisions(TrainingArguments args, Func<string?, bool> isId)
    {
        CheckRevision(args.Model, args.ModelRevision, "model_revision", isId);
        CheckRevision(args.Dataset, args.DatasetRevision, "dataset_revision", isId);
        CheckRevision(args.EvalDataset, args.EvalDatasetRevision, "eval_dataset_revision", isId);
        if (args.DatasetConfig is not null && !isId(args.Dataset) && !Directory.Exists(args.Dataset))
            throw new InvalidInputException($"{ArgumentTable.Describe("dataset_config")}: applies to a hub dataset or a dataset folder; --dataset {args.Dataset} is neither");
    }

    static void CheckRevision(string? value, string? revision, string key, Func<string?, bool> isId)
    {
        if (revision is not null && !isId(value))
            throw new InvalidInputException($"{ArgumentTable.Describe(key)}: applies to a hub id; '{value}' is {(DefaultModel.IsDefault(value) || DefaultDataset.IsDefault(value) ? "the bundled default" : "a local path")}");
    }
}
