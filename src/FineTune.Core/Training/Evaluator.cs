using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Reporting;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>
/// Evaluation: each rank runs its shard once (sorted by length so batches carry little padding), counts a confusion
/// matrix and the loss sum, and the counts are summed across ranks before the metrics are computed.
/// </summary>
public static class Evaluator
{
    public static EvalResult Evaluate(SequenceClassifier model, TokenizedDataset data, IReadOnlyList<int> shard, int batchSize,
        int maxLength, int padId, Padding padding, IReadOnlyList<string> labelNames, ICollective collective, Device? device = null,
        CancellationToken cancel = default)
    {
        int k = labelNames.Count;
        var confusion = new long[k, k];
        double lossSum = 0;
        var order = shard.OrderBy(data.Length).ToArray();
        using var evaluationScope = NewDisposeScope(); // no tensor of an evaluation is left to the finalizer
        bool wasTraining = model.training;
        model.eval();
        using (no_grad())
        {
            foreach (var chunk in order.Chunk(batchSize))
            {
                cancel.ThrowIfCancellationRequested(); // between batches: a cancelled evaluation-only job stops here
                using var scope = NewDisposeScope();
                var b = Batching.Collate(data, chunk, padding, maxLength, padId);
                var ids = tensor(b.InputIds, [b.Size, b.Width], device: device);
                var logits = model.call(ids, tensor(b.AttentionMask, [b.Size, b.Width], device: device), tensor(b.TokenTypeIds, [b.Size, b.Width], device: device));
                var labels = tensor(b.Labels, device: device);
                lossSum += nn.functional.cross_entropy(logits.to_type(ScalarType.Float32), labels, reduction: nn.Reduction.Sum).item<float>();
                ClassificationMetrics.Accumulate(confusion, b.Labels, logits.argmax(1).cpu().data<long>().ToArray());
            }
        }
        if (wasTraining) model.train();

        if (collective.WorldSize > 1)
        {
            // One all-reduce carries the whole confusion matrix and the loss sum.
            var packed = new float[k * k + 1];
            for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) packed[i * k + j] = confusion[i, j];
            packed[^1] = (float)lossSum;
            using var t = tensor(packed, device: device); // on the ranks' device: NCCL reduces only GPU memory
            collective.AllReduceSum(t);
            var summed = TensorData.Floats(t);
            for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) confusion[i, j] = (long)Math.Round(summed[i * k + j]);
            lossSum = summed[^1];
        }
        return ClassificationMetrics.FromCounts(confusion, lossSum, labelNames);
    }
}
