using FineTune.Core;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Training;

namespace FineTune.Coordinator.Jobs;

/// <summary>A submitted options map turned into TrainingArguments, and everything checked before the job is accepted.</summary>
public static class JobSpec
{
    public const string CoordinatorPrefix = "coordinator:/";
    static readonly string[] PathKeys = ["model", "dataset", "eval_dataset"];

    public static TrainingArguments Parse(IReadOnlyDictionary<string, string> options, CoordinatorOptions coordinator)
    {
        var args = new TrainingArguments();
        foreach (var (key, value) in options)
            ArgumentTable.Apply(args, key, PathKeys.Contains(key) ? Resolve(value, coordinator, key) : value, key);
        return args;
    }

    /// <summary>`coordinator:/uploads/...` to a path under the coordinator's uploads folder; anything escaping it is refused.</summary>
    public static string Resolve(string value, CoordinatorOptions coordinator, string key)
    {
        if (!value.StartsWith(CoordinatorPrefix, StringComparison.Ordinal)) return value;
        var root = Path.GetFullPath(coordinator.UploadsDir) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(coordinator.DataDir, value[CoordinatorPrefix.Length..]));
        if (!full.StartsWith(root, StringComparison.Ordinal))
            throw new InvalidInputException($"{key}: '{value}' is outside the coordinator's roots (only {CoordinatorPrefix}uploads/... is allowed)");
        return full;
    }

    /// <summary>Options, model folder, dataset and labels, as `finetune train` checks them; throws InvalidInputException.</summary>
    public static LoadedDataset Validate(TrainingArguments args)
    {
        CheckModel(args);
        return DatasetLoader.Load(args.ToDatasetOptions());
    }

    /// <summary>The options and the model folder (returned) without reading the dataset.</summary>
    public static string CheckModel(TrainingArguments args)
    {
        args.Validate();
        var folder = ModelFolder.Resolve(args.Model);
        var config = ModelFactory.ReadConfig(Path.Combine(folder, "config.json"));
        if (args.MaxLength > config.MaxPositions)
            throw new InvalidInputException($"--max-length (max_length): {args.MaxLength} is beyond the model's {config.MaxPositions} positions");
        return folder;
    }
}
