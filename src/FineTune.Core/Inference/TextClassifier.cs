using FineTune.Core.Modeling;
using FineTune.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Inference;

/// <summary>One text's prediction, in the shape of `finetune predict --json`.</summary>
public sealed record Prediction(string Text, string Label, int LabelId, float[] Scores, float[] Logits);

/// <summary>
/// A model folder ready to classify text: Hugging Face's text-classification pipeline in spirit.
/// Batches are sorted by length so each is padded only to its own longest row.
/// </summary>
public sealed class TextClassifier : IDisposable
{
    TextClassifier(string folder, SequenceClassifier model, BertTokenizer tokenizer, LoadReport report, Device device)
    {
        Device = device;
        Folder = folder;
        Model = model;
        Tokenizer = tokenizer;
        Report = report;
    }

    public string Folder { get; }
    public SequenceClassifier Model { get; }
    public BertTokenizer Tokenizer { get; }
    public LoadReport Report { get; }

    /// <summary>Where the model runs (the CPU unless a device was given).</summary>
    public Device Device { get; }
    public IReadOnlyList<string> Labels => Model.Config.Id2Label;

    /// <summary>Loads --model (a folder, or "default") onto <paramref name="device"/>, with errors that name the file and the problem.</summary>
    public static TextClassifier Load(string? model, Device? device = null, long seed = 42)
    {
        var folder = ModelFolder.Resolve(model);
        var tokenizer = BertTokenizer.FromFolder(folder);
        var (classifier, report) = PretrainedModel.Load(folder, seed: seed);
        if (tokenizer.Vocab.Count > ((Modeling.Bert.BertConfig)classifier.Config).VocabSize)
            throw new InvalidInputException($"{folder}: the vocabulary has {tokenizer.Vocab.Count} tokens but config.json's vocab_size is {((Modeling.Bert.BertConfig)classifier.Config).VocabSize}");
        device ??= CPU;
        classifier.to(device); // weights are read through the CPU whatever the device
        return new TextClassifier(folder, classifier, tokenizer, report, device);
    }

    public IEnumerable<Prediction> Predict(IEnumerable<string> texts, int batchSize = 32, int? maxLength = null)
    {
        if (batchSize < 1) throw new InvalidInputException($"--batch-size must be at least 1, got {batchSize}");
        var max = Math.Min(maxLength ?? Tokenizer.Options.ModelMaxLength, Model.Config.MaxPositions);
        // Stream in windows of many batches: sort each window by length, emit in input order.
        foreach (var window in texts.Chunk(batchSize * 16))
        {
            var encoded = window.Select(t => Tokenizer.EncodeIds(t, max)).ToArray();
            var results = new Prediction[window.Length];
            var order = Enumerable.Range(0, window.Length).OrderBy(i => encoded[i].Length).ToArray();
            foreach (var batch in order.Chunk(batchSize))
            {
                var logits = Logits(batch.Select(i => encoded[i]).ToArray());
                for (int j = 0; j < batch.Length; j++)
                    results[batch[j]] = ToPrediction(window[batch[j]], logits[j]);
            }
            foreach (var r in results) yield return r;
        }
    }

    float[][] Logits(int[][] rows)
    {
        int width = rows.Max(r => r.Length);
        var ids = new long[rows.Length * width];
        var mask = new long[rows.Length * width];
        Array.Fill(ids, Tokenizer.PadId);
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++)
            {
                ids[i * width + j] = rows[i][j];
                mask[i * width + j] = 1;
            }
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var inputIds = tensor(ids, [rows.Length, width], device: Device);
        var logits = Model.call(inputIds, tensor(mask, [rows.Length, width], device: Device), zeros_like(inputIds));
        var flat = TensorData.Floats(logits);
        int labels = (int)logits.shape[1];
        return Enumerable.Range(0, rows.Length).Select(i => flat.AsSpan(i * labels, labels).ToArray()).ToArray();
    }

    Prediction ToPrediction(string text, float[] logits)
    {
        // softmax in double for a stable, exactly-normalised probability vector
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var sum = exp.Sum();
        var scores = exp.Select(e => (float)(e / sum)).ToArray();
        int best = Array.IndexOf(logits, max);
        return new Prediction(text, Labels[best], best, scores, logits);
    }

    public void Dispose() => Model.Dispose();
}
