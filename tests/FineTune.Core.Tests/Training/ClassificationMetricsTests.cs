using FineTune.Core.Reporting;

namespace FineTune.Core.Tests.Training;

public sealed class ClassificationMetricsTests
{
    // true \ predicted    a  b  c    support
    //               a   [ 4, 1, 0 ]     5
    //               b   [ 2, 5, 0 ]     7
    //               c   [ 1, 2, 0 ]     3      (c is never predicted)
    // predicted totals:   7  8  0     15 examples, 9 correct.
    static long[,] ThreeClass() => new long[,] { { 4, 1, 0 }, { 2, 5, 0 }, { 1, 2, 0 } };

    static readonly string[] Abc = ["a", "b", "c"];

    [Fact]
    public void Matches_sklearn_classification_report_by_hand()
    {
        var r = ClassificationMetrics.FromCounts(ThreeClass(), lossSum: 7.5, Abc);

        // sklearn.metrics.classification_report(y_true, y_pred, zero_division=0) on the same data:
        //               precision    recall  f1-score   support
        //            a       0.57      0.80      0.67         5
        //            b       0.62      0.71      0.67         7
        //            c       0.00      0.00      0.00         3
        //     accuracy                           0.60        15
        //    macro avg       0.40      0.50      0.44        15
        Assert.Equal(15, r.Samples);
        Assert.Equal(9.0 / 15, r.Accuracy, 12);   // 0.6
        Assert.Equal(7.5 / 15, r.Loss, 12);       // mean loss 0.5

        Assert.Equal(["a", "b", "c"], r.PerClass.Select(c => c.Label));
        Assert.Equal([5, 7, 3], r.PerClass.Select(c => c.Support));

        // a: tp 4, fp 3 (2 b + 1 c predicted as a), fn 1.
        Assert.Equal(4.0 / 7, r.PerClass[0].Precision, 12);  // 0.5714
        Assert.Equal(4.0 / 5, r.PerClass[0].Recall, 12);     // 0.8
        Assert.Equal(8.0 / 12, r.PerClass[0].F1, 12);        // 2tp/(2tp+fp+fn) = 8/12 = 0.6667
        // b: tp 5, fp 3 (1 a + 2 c), fn 2.
        Assert.Equal(5.0 / 8, r.PerClass[1].Precision, 12);  // 0.625
        Assert.Equal(5.0 / 7, r.PerClass[1].Recall, 12);     // 0.7143
        Assert.Equal(10.0 / 15, r.PerClass[1].F1, 12);       // 0.6667
        // c: never predicted, so precision is 0/0, which zero_division=0 makes 0; recall 0/3; F1 0.
        Assert.Equal(0, r.PerClass[2].Precision);
        Assert.Equal(0, r.PerClass[2].Recall);
        Assert.Equal(0, r.PerClass[2].F1);

        // f1_score(average="macro") = (2/3 + 2/3 + 0) / 3 = 4/9 = 0.4444.
        Assert.Equal(4.0 / 9, r.F1Macro, 12);

        Assert.Equal(new[] { new[] { 4, 1, 0 }, new[] { 2, 5, 0 }, new[] { 1, 2, 0 } }, r.ConfusionMatrix);
        Assert.Equal(Abc, r.LabelNames);
    }

    [Fact]
    public void Macro_f1_skips_a_label_absent_from_truth_and_predictions_like_sklearn()
    {
        // sklearn's f1_score without labels= averages over unique_labels(y_true, y_pred): a fourth label that
        // occurs nowhere does not pull the mean down (it would with labels=[0, 1, 2, 3]).
        var four = new long[4, 4];
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                four[i, j] = ThreeClass()[i, j];

        var r = ClassificationMetrics.FromCounts(four, 0, ["a", "b", "c", "d"]);

        Assert.Equal(4.0 / 9, r.F1Macro, 12);
        Assert.Equal(new ClassMetrics("d", 0, 0, 0, 0), r.PerClass[3]);
    }

    [Fact]
    public void Perfect_and_empty_matrices()
    {
        var perfect = ClassificationMetrics.FromCounts(new long[,] { { 3, 0 }, { 0, 2 } }, 0.5, ["neg", "pos"]);
        Assert.Equal(1, perfect.Accuracy);
        Assert.Equal(1, perfect.F1Macro);
        Assert.All(perfect.PerClass, c => Assert.Equal((1.0, 1.0, 1.0), (c.Precision, c.Recall, c.F1)));

        // No examples: zeros rather than NaN, which JSON could not carry.
        var empty = ClassificationMetrics.FromCounts(new long[2, 2], 0, ["neg", "pos"]);
        Assert.Equal((0, 0.0, 0.0, 0.0), (empty.Samples, empty.Accuracy, empty.F1Macro, empty.Loss));
    }

    [Fact]
    public void Rejects_a_matrix_that_does_not_match_the_labels() =>
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.FromCounts(new long[2, 2], 0, Abc));

    [Fact]
    public void Accumulate_counts_true_label_rows_and_predicted_columns()
    {
        var confusion = new long[3, 3];
        ClassificationMetrics.Accumulate(confusion, [0, 1, 2, 2, 1], [0, 2, 2, 1, 2]);
        ClassificationMetrics.Accumulate(confusion, [0], [1]);

        Assert.Equal(new long[,] { { 1, 1, 0 }, { 0, 0, 2 }, { 0, 1, 1 } }, confusion);
    }

    [Fact]
    public void Accumulate_rejects_labels_outside_the_matrix_and_length_mismatches()
    {
        var confusion = new long[2, 2];
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Accumulate(confusion, [2], [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Accumulate(confusion, [0], [-1]));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Accumulate(confusion, [0, 1], [0]));
        Assert.Equal(new long[2, 2], confusion);
    }

    [Fact]
    public void Merge_sums_the_ranks_parts()
    {
        var rank0 = new long[,] { { 1, 2 }, { 3, 4 } };
        var rank1 = new long[,] { { 10, 0 }, { 0, 10 } };
        var rank2 = new long[,] { { 0, 1 }, { 1, 0 } };

        var merged = ClassificationMetrics.Merge([rank0, rank1, rank2]);

        Assert.Equal(new long[,] { { 11, 3 }, { 4, 14 } }, merged);
        Assert.Equal(new long[,] { { 1, 2 }, { 3, 4 } }, rank0); // inputs untouched
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Merge([rank0, new long[3, 3]]));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Merge([]));
    }
}
