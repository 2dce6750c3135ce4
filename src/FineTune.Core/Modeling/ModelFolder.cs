using FineTune.Core.Modeling.Pretrained;
using FineTune.Core.Tokenization;

namespace FineTune.Core.Modeling;

/// <summary>
/// Turns what a user typed for --model into a readable Hugging Face folder, or one clear error:
/// "default" (or nothing) is the bundled all-MiniLM-L6-v2; hub ids are downloaded into snapshot folders before this
/// (<see cref="Hub.HubInputs"/>).
/// </summary>
public static class ModelFolder
{
    public static string Resolve(string? model)
    {
        if (DefaultModel.IsDefault(model)) return DefaultModel.EnsureFolder();
        var dir = Path.GetFullPath(model!);
        if (!Directory.Exists(dir))
        {
            if (File.Exists(dir))
                throw new InvalidInputException($"--model {model}: is a file; pass the model's folder (with config.json, weights and vocabulary)");
            // The commands download a hub id first (HubInputs); one that reaches here was not resolved.
            if (Hub.HubInputs.MayBeId(model!))
                throw new InvalidInputException($"--model {model}: no such folder, and this hub id was not downloaded (HubInputs resolves ids before a folder is read)");
            throw new InvalidInputException($"--model {model}: folder not found");
        }
        if (!File.Exists(Path.Combine(dir, "config.json")))
            throw new InvalidInputException($"{dir}: no config.json: not a Hugging Face model folder");
        if (CheckpointReader.FindWeights(dir) is null)
            throw new InvalidInputException($"{dir}: no weights file (expected one of {string.Join(", ", CheckpointReader.WeightFiles)})");
        if (!File.Exists(Path.Combine(dir, "vocab.txt")) && !File.Exists(Path.Combine(dir, "tokenizer.json")))
            throw new InvalidInputException($"{dir}: no vocabulary (expected vocab.txt or tokenizer.json)");
        return dir;
    }

    /// <summary>Writes a complete model folder: config.json, model.safetensors and the tokenizer files.</summary>
    public static void Save(SequenceClassifier model, BertTokenizer tokenizer, string dir)
    {
        PretrainedModel.Save(model, dir);
        tokenizer.Save(dir);
    }
}
