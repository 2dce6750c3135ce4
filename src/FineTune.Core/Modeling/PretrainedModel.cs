using System.Text.Json;
using static TorchSharp.torch;

namespace FineTune.Core.Modeling;

/// <summary>What loading a checkpoint did, reported like Hugging Face's from_pretrained warnings.</summary>
public sealed record LoadReport(string WeightsFile, IReadOnlyList<string> NewlyInitialized, IReadOnlyList<string> UnusedKeys, IReadOnlyList<string> Warnings)
{
    /// <summary>True when the classification head was created fresh: predictions mean nothing until fine-tuned.</summary>
    public bool HeadIsFresh => NewlyInitialized.Any(n => n.StartsWith("classifier.", StringComparison.Ordinal));
}

/// <summary>from_pretrained / save_pretrained for sequence classifiers, on a Hugging Face model folder.</summary>
public static class PretrainedModel
{
    /// <summary>
    /// Builds the classifier that config.json describes and loads the folder's weights into it.
    /// <paramref name="labels"/> (names, in id order) overrides the config's id2label, e.g. labels found in a dataset;
    /// a checkpoint head of another size is then re-initialised with a warning, as Hugging Face does with ignore_mismatched_sizes.
    /// </summary>
    public static (SequenceClassifier Model, LoadReport Report) Load(string dir, IReadOnlyList<string>? labels = null, long seed = 42)
    {
        var config = ModelFactory.ReadConfig(Path.Combine(dir, "config.json"));
        if (labels is not null) config.SetLabels(labels);
        var weights = CheckpointReader.FindWeights(dir)
            ?? throw new ModelFormatException(dir, $"no weights: expected one of {string.Join(", ", CheckpointReader.WeightFiles)}");
        var model = ModelFactory.CreateClassifier(config);
        var report = LoadWeights(model, weights, CheckpointReader.Read(weights), seed);
        model.eval();
        return (model, report);
    }

    /// <summary>A model with every weight initialised from the seed (no checkpoint): tiny test models, training from scratch.</summary>
    public static SequenceClassifier CreateRandom(ModelConfig config, long seed)
    {
        var model = ModelFactory.CreateClassifier(config);
        WeightInit.Initialize(model, model.named_parameters().Select(p => p.name).ToHashSet(), seed);
        return model;
    }

    internal static LoadReport LoadWeights(SequenceClassifier model, string file, IReadOnlyDictionary<string, NamedTensor> checkpoint, long seed)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var prefix = model.BaseModelPrefix + ".";
        var loaded = new HashSet<string>();
        var unused = new List<string>();
        var warnings = new List<string>();
        using (NewDisposeScope())
        using (no_grad())
        {
            foreach (var (key, weights) in checkpoint)
            {
                var name = RenameLegacy(key);
                // A bare encoder checkpoint (BertModel, sentence-transformers) has no "bert." prefix.
                if (!parameters.ContainsKey(name) && parameters.ContainsKey(prefix + name)) name = prefix + name;
                if (!parameters.TryGetValue(name, out var p))
                {
                    if (!IsKnownBuffer(name)) unused.Add(key);
                    continue;
                }
                if (!p.shape.SequenceEqual(weights.Shape))
                {
                    var problem = $"'{key}' has shape [{string.Join(", ", weights.Shape)}] but the model built from config.json expects [{string.Join(", ", p.shape)}]";
                    if (!name.StartsWith("classifier.", StringComparison.Ordinal)) throw new ModelFormatException(file, problem);
                    warnings.Add($"{problem}: the classification head is re-initialised for {model.Config.NumLabels} labels");
                    continue;
                }
                using var source = tensor(weights.Data, weights.Shape);
                p.copy_(source);
                loaded.Add(name);
            }
        }
        var fresh = parameters.Keys.Where(n => !loaded.Contains(n)).ToList();
        WeightInit.Initialize(model, fresh.ToHashSet(), seed);
        return new LoadReport(file, fresh, unused, warnings);
    }

    // transformers renames TF-era LayerNorm parameters when it loads old checkpoints.
    static string RenameLegacy(string key) =>
        key.EndsWith(".gamma", StringComparison.Ordinal) ? key[..^6] + ".weight"
        : key.EndsWith(".beta", StringComparison.Ordinal) ? key[..^5] + ".bias"
        : key;

    static bool IsKnownBuffer(string name) => name.EndsWith("position_ids", StringComparison.Ordinal);

    /// <summary>
    /// save_pretrained: config.json (architectures, id2label, label2id) and model.safetensors (F32, Hugging Face names).
    /// The tokenizer files are written by the tokenizer's own Save.
    /// </summary>
    public static void Save(SequenceClassifier model, string dir)
    {
        Directory.CreateDirectory(dir);
        var config = model.Config.ToJson(model.Architecture);
        config["torch_dtype"] = "float32";
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        SafeTensors.Write(Path.Combine(dir, "model.safetensors"),
            model.named_parameters().Select(p => TensorEntry.Of(p.name, p.parameter.shape, () => p.parameter)), new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>The parameters as plain arrays, in the model's order, with Hugging Face names.</summary>
    public static IEnumerable<NamedTensor> StateDict(SequenceClassifier model)
    {
        foreach (var (name, p) in model.named_parameters())
            yield return new NamedTensor(name, p.shape, TensorData.Floats(p));
    }
}
