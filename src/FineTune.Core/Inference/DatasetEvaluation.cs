using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Training;

namespace FineTune.Core.Inference;

/// <summary>
/// A model's accuracy, F1 and confusion matrix on a labelled file or folder (its test, else validation split), its labels
/// mapped with the model's own label names: `finetune evaluate`, and a sweep's one scoring of its test set.
/// </summary>
public static class DatasetEvaluation
{
    /// <param name="maxLength">tokens per example; null: the model's maximum, at most 512</param>
    /// <param name="cancel">checked between batches (a worker's evaluation-only job cancelled)</param>
    public static EvalResult Evaluate(TextClassifier classifier, string path, DatasetOptions options, int batchSize = 32, int? maxLength = null,
        CancellationToken cancel = default)
    {
        if (batchSize < 1) throw new InvalidInputException($"--batch-size must be at least 1, got {batchSize}");
        var max = maxLength ?? Math.Min(classifier.Tokenizer.Options.ModelMaxLength, classifier.Model.Config.MaxPositions);
        if (max < 2 || max > classifier.Model.Config.MaxPositions)
            throw new InvalidInputException($"--max-length must be between 2 and the model's {classifier.Model.Config.MaxPositions} positions, got {max}");
        var examples = DatasetLoader.WithLabels(DatasetLoader.ReadRows(path, options), classifier.Labels, path);
        var data = TokenizedDataset.Build(examples, classifier.Tokenizer, max);
        using var single = new SingleProcess();
        return Evaluator.Evaluate(classifier.Model, data, Enumerable.Range(0, data.Count).ToArray(), batchSize, max,
            classifier.Tokenizer.PadId, Padding.Dynamic, classifier.Labels, single, classifier.Device, cancel);
    }
}
