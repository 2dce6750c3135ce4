using FineTune.Core;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Training;

namespace FineTune.Coordinator.Jobs;

/// <summary>A submitted options map turned into TrainingArguments, and everything checked before the job is accepted.</summary>
public static class JobSpec
{
    public const string CoordinatorPrefix = CoordinatorPaths.Prefix;
    static readonly string[] PathKeys = ["model", "dataset", "eval_dataset"];

    public static TrainingArguments Parse(IReadOnlyDictionary<string, string> options, CoordinatorOptions coordinator)
    {
        var args = new TrainingArguments();
        foreach (var (key, value) in options)
            ArgumentTable.Apply(args, key, PathKeys.Contains(key) ? Resolve(value, coordinator, ArgumentTable.Describe(key)) : value, key);
        return args;
    }

    /// <summary>A path option to the full path it names on the coordinator, confined to the roots (<see cref="CoordinatorPaths"/>).</summary>
    public static string Resolve(string value, CoordinatorOptions coordinator, string key) => new CoordinatorPaths(coordinator).Resolve(value, key);

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
