using System.Text.Json.Nodes;
using FineTune.Core.Arguments;
using FineTune.Core.Modeling;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Core.Tests.Training;

/// <summary>A tiny model folder and a learnable synthetic sentiment set, made at test time.</summary>
public static class TinyJobs
{
    static readonly string[] Positive = ["great", "good", "love"];
    static readonly string[] Negative = ["bad", "hate", "not"];
    static readonly string[] Filler = ["the", "food", "was", "service", "it", "i", "a", "b", "c"];

    /// <summary>JSON Lines with "text" and "label" (0 negative, 1 positive); the label is decided by the sentiment words.</summary>
    public static string WriteDataset(string dir, int count, long seed = 1)
    {
        var random = new Random((int)seed);
        var path = Path.Combine(dir, "data.jsonl");
        var lines = new List<string>();
        for (int i = 0; i < count; i++)
        {
            int label = i % 2;
            var words = Enumerable.Range(0, random.Next(3, 12)).Select(_ => Filler[random.Next(Filler.Length)]).ToList();
            var cue = label == 1 ? Positive : Negative;
            for (int k = 0; k < random.Next(1, 3); k++) words.Insert(random.Next(words.Count + 1), cue[random.Next(cue.Length)]);
            lines.Add(new JsonObject { ["text"] = string.Join(' ', words), ["label"] = label }.ToJsonString());
        }
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Arguments for a quick deterministic run on one thread.</summary>
    public static TrainingArguments Args(string modelDir, string dataset, string output) => new()
    {
        Model = modelDir,
        Dataset = dataset,
        OutputDir = output,
        NumTrainEpochs = 4,
        LearningRate = 1e-2, // a tiny BERT from scratch needs a large rate to leave the chance plateau quickly
        PerDeviceTrainBatchSize = 8,
        PerDeviceEvalBatchSize = 16,
        MaxLength = 32,
        LoggingSteps = 5,
        Threads = 1,
        Seed = 42,
    };

    public static (string Model, string Dataset, string Output) Setup(int examples = 160)
    {
        var dir = TinyModels.TempDir();
        var model = Path.Combine(dir, "model");
        Directory.CreateDirectory(model);
        TinyModels.WriteFolder(model, bareEncoderKeys: true); // a base encoder: the head is fresh, as when fine-tuning
        return (model, WriteDataset(dir, examples), Path.Combine(dir, "out"));
    }

    /// <summary>
    /// Turns dropout off in a model folder's config.json: ranks run as threads of one process would otherwise draw from
    /// libtorch's one global generator, and their weights would differ for that reason alone.
    /// </summary>
    public static void WithoutDropout(string modelDir)
    {
        var configPath = Path.Combine(modelDir, "config.json");
        var config = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!;
        config["hidden_dropout_prob"] = 0.0;
        config["attention_probs_dropout_prob"] = 0.0;
        File.WriteAllText(configPath, config.ToJsonString());
    }

    public static float[] Weights(string folder) =>
        SafeTensors.Read(Path.Combine(folder, "model.safetensors")).Values.OrderBy(t => t.Name, StringComparer.Ordinal).SelectMany(t => t.Data).ToArray();
}
