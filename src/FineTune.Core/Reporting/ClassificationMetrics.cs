using FineTune.Core.Training;
namespace FineTune.Core.Reporting;

/// <summary>
/// Accuracy, per-class precision/recall/F1 and macro-F1 from a confusion matrix, computed as sklearn does
/// (<c>classification_report</c>, <c>f1_score(average="macro")</c>, <c>zero_division=0</c>). Evaluation only counts
/// (<see cref="Accumulate"/>), so ranks can evaluate disjoint shards and sum their matrices (<see cref="Merge"/>).
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>
    /// <paramref name="confusion"/>[i, j] counts examples of true label i predicted as j; <paramref name="lossSum"/> is the
    /// summed per-example loss, so <see cref="EvalResult.Loss"/> is the mean. An empty matrix gives zeros, not NaN.
    /// </summary>
    public static EvalResult FromCounts(long[,] confusion, double lossSum, IReadOnlyList<string> labelNames)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        ArgumentNullException.ThrowIfNull(labelNames);
        var n = labelNames.Count;
        if (confusion.GetLength(0) != n || confusion.GetLength(1) != n)
            throw new ArgumentException(
                $"confusion matrix is {confusion.GetLength(0)}x{confusion.GetLength(1)} but there are {n} label names", nameof(confusion));

        long total = 0, correct = 0;
        var support = new long[n];
        var predicted = new long[n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                var count = confusion[i, j];
                if (count < 0) throw new ArgumentException($"confusion[{i}, {j}] is negative ({count})", nameof(confusion));
                total += count;
                support[i] += count;
                predicted[j] += count;
                if (i == j) correct += count;
            }

        var perClass = new ClassMetrics[n];
        double f1Sum = 0;
        var labelsSeen = 0;
        for (var i = 0; i < n; i++)
        {
            var tp = confusion[i, i];
            var fp = predicted[i] - tp;
            var fn = support[i] - tp;
            var precision = Ratio(tp, tp + fp);
            var recall = Ratio(tp, tp + fn);
            // sklearn's form (>= 1.3): 2tp / (2tp + fp + fn); equal to 2PR/(P+R) wherever that is defined.
            var f1 = Ratio(2 * tp, 2 * tp + fp + fn);
            perClass[i] = new ClassMetrics(labelNames[i], precision, recall, f1, checked((int)support[i]));
            // f1_score(average="macro") without labels= averages over the labels present in y_true or y_pred only.
            if (support[i] > 0 || predicted[i] > 0)
            {
                f1Sum += f1;
                labelsSeen++;
            }
        }

        var matrix = new int[n][];
        for (var i = 0; i < n; i++)
        {
            matrix[i] = new int[n];
            for (var j = 0; j < n; j++) matrix[i][j] = checked((int)confusion[i, j]);
        }

        return new EvalResult(
            Accuracy: Ratio(correct, total),
            F1Macro: labelsSeen == 0 ? 0 : f1Sum / labelsSeen,
            Loss: total == 0 ? 0 : lossSum / total,
            PerClass: perClass,
            ConfusionMatrix: matrix,
            LabelNames: labelNames.ToArray(),
            Samples: checked((int)total));
    }

    /// <summary>Adds one batch: for each example, confusion[true, predicted] += 1.</summary>
    public static void Accumulate(long[,] confusion, ReadOnlySpan<long> trueLabels, ReadOnlySpan<long> predicted)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        if (trueLabels.Length != predicted.Length)
            throw new ArgumentException($"{trueLabels.Length} true labels but {predicted.Length} predictions", nameof(predicted));
        var rows = confusion.GetLength(0);
        var columns = confusion.GetLength(1);
        for (var k = 0; k < trueLabels.Length; k++)
        {
            var t = trueLabels[k];
            var p = predicted[k];
            // A label outside the matrix means the data and the model disagree on the label set: fail, never drop it.
            if ((ulong)t >= (ulong)rows) throw new ArgumentOutOfRangeException(nameof(trueLabels), t, $"true label outside 0..{rows - 1}");
            if ((ulong)p >= (ulong)columns) throw new ArgumentOutOfRangeException(nameof(predicted), p, $"prediction outside 0..{columns - 1}");
            confusion[t, p]++;
        }
    }

    /// <summary>Sums confusion matrices of the same shape (one per rank or shard) into a new one.</summary>
    public static long[,] Merge(IEnumerable<long[,]> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        long[,]? sum = null;
        foreach (var part in parts)
        {
            ArgumentNullException.ThrowIfNull(part, nameof(parts));
            sum ??= new long[part.GetLength(0), part.GetLength(1)];
            if (part.GetLength(0) != sum.GetLength(0) || part.GetLength(1) != sum.GetLength(1))
                throw new ArgumentException(
                    $"cannot merge a {part.GetLength(0)}x{part.GetLength(1)} matrix into a {sum.GetLength(0)}x{sum.GetLength(1)} one", nameof(parts));
            for (var i = 0; i < part.GetLength(0); i++)
                for (var j = 0; j < part.GetLength(1); j++)
                    sum[i, j] += part[i, j];
        }
        return sum ?? throw new ArgumentException("no confusion matrices to merge", nameof(parts));
    }

    static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;
}
