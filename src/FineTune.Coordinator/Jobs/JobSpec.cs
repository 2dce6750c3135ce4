using FineTune.Core;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Training;

namespace FineTune.Coordinator.Jobs;

/// <summary>A submitted options map turned into TrainingArguments, and everything checked before the job is accepted.</summary>
public static class JobSpec
{
    public static TrainingArguments Parse(IReadOnlyDictionary<string, string> options)
    {
        var args = new TrainingArguments();
        foreach (var (key, value) in options) ArgumentTable.Apply(args, key, value, key);
        return args;
    }

    /// <summary>Options, model folder, dataset and labels, as `finetune train` checks them; throws InvalidInputException.</summary>
    public static LoadedDataset Validate(TrainingArguments args)
    {
        args.Validate();
        var folder = ModelFolder.Resolve(args.Model);
        var config = ModelFactory.ReadConfig(Path.Combine(folder, "config.json"));
        if (args.MaxLength > config.MaxPositions)
            throw new InvalidInputException($"--max-length (max_length): {args.MaxLength} is beyond the model's {config.MaxPositions} positions");
        return DatasetLoader.Load(args.ToDatasetOptions());
    }
}
