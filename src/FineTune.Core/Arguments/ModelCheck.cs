using FineTune.Core.Modeling;

namespace FineTune.Core.Arguments;

/// <summary>
/// The model a job names, checked before anything is read or trained: the folder resolves, its config.json reads, its
/// weights are complete, and max_length fits its positions. `finetune train` and the coordinator's Submit use this one
/// check, so they refuse the same jobs with the same messages.
/// </summary>
public static class ModelCheck
{
    public static (string Folder, ModelConfig Config) Run(TrainingArguments args)
    {
        var folder = ModelFolder.Resolve(args.Model);
        var config = ModelFactory.ReadConfig(Path.Combine(folder, "config.json"));
        CheckpointReader.Check(CheckpointReader.FindWeights(folder)!); // truncated or corrupt weights are refused now, not mid-load
        if (args.MaxLength > config.MaxPositions)
            throw new InvalidInputException($"--max-length (max_length): {args.MaxLength} is beyond the model's {config.MaxPositions} positions (max_position_embeddings in {folder}/config.json)");
        return (folder, config);
    }
}
