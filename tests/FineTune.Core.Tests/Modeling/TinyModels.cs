using FineTune.Core.Modeling;
using FineTune.Core.Modeling.Bert;

namespace FineTune.Core.Tests.Modeling;

/// <summary>Small BERT folders made at test time (no committed weights).</summary>
public static class TinyModels
{
    public static readonly string[] Vocab =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "food", "was", "great", "bad", "service", "good", "not", "!", ".", ",", "i", "love", "it", "##s", "##ing", "hate", "a", "b", "c"];

    public static BertConfig Config(IReadOnlyList<string>? labels = null) =>
        BertConfig.Create(vocabSize: Vocab.Length, hiddenSize: 16, layers: 2, heads: 2, intermediateSize: 32, maxPositions: 64, labels: labels);

    /// <summary>Writes a Hugging Face folder of a tiny BERT encoder; returns the model used.</summary>
    public static SequenceClassifier WriteFolder(string dir, long seed = 7, bool bareEncoderKeys = false, IReadOnlyList<string>? labels = null)
    {
        var model = PretrainedModel.CreateRandom(Config(labels), seed);
        PretrainedModel.Save(model, dir);
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), Vocab);
        if (bareEncoderKeys)
        {
            // Rewrite as a BertModel / sentence-transformers checkpoint: no "bert." prefix, no head.
            var tensors = SafeTensors.Read(Path.Combine(dir, "model.safetensors")).Values
                .Where(t => t.Name.StartsWith("bert.", StringComparison.Ordinal))
                .Select(t => t with { Name = t.Name["bert.".Length..] })
                .ToList();
            SafeTensors.Write(Path.Combine(dir, "model.safetensors"), tensors);
        }
        return model;
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "finetune-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
