using FineTune.Core.Modeling.Pretrained;
using FineTune.Core.Tokenization;

namespace FineTune.Core.Modeling;

/// <summary>
/// Turns what a user typed for --model into a readable Hugging Face folder, or one clear error:
/// "default" (or nothing) is the bundled all-MiniLM-L6-v2; a hub id that is not a local folder must be downloaded first.
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
            // "org/name" or "name" without a folder on disk looks like a Hugging Face hub id.
            if (LooksLikeHubId(model!))
                throw new InvalidInputException($"--model {model}: no such folder; to use the hub model '{model}', download its folder first (for example `git clone` of its repository, or `huggingface-cli download {model} --local-dir DIR`) and pass that path");
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

    static bool LooksLikeHubId(string model) =>
        !model.StartsWith('.') && !model.StartsWith('/') && !model.StartsWith('~') && model.Count(c => c == '/') <= 1;

    /// <summary>Writes a complete model folder: config.json, model.safetensors and the tokenizer files.</summary>
    public static void Save(SequenceClassifier model, BertTokenizer tokenizer, string dir)
    {
        PretrainedModel.Save(model, dir);
        tokenizer.Save(dir);
    }
}
