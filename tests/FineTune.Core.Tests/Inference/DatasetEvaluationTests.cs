using FineTune.Core.Data;
using FineTune.Core.Inference;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Core.Tests.Inference;

/// <summary>
/// One model scored on a labelled file (`finetune evaluate`, a worker's evaluation-only job): every row counted once,
/// and a cancel (the job cancelled) stops it between batches.
/// </summary>
public class DatasetEvaluationTests
{
    [Fact]
    public void Every_row_is_scored_once_and_a_cancelled_evaluation_stops_between_batches()
    {
        var dir = TinyModels.TempDir();
        using (TinyModels.WriteFolder(dir, labels: ["neg", "pos"])) { }
        using var classifier = TextClassifier.Load(dir);
        var file = Path.Combine(TinyModels.TempDir(), "test.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, 10).Select(i => $$"""{"text": "the food was great {{i}}", "label": "{{(i % 3 == 0 ? "neg" : "pos")}}"}"""));
        var options = new DatasetOptions { Dataset = file };

        var result = DatasetEvaluation.Evaluate(classifier, file, options, batchSize: 4);
        Assert.Equal(10, result.Samples);
        Assert.Equal([4, 6], result.PerClass.Select(c => c.Support)); // neg: rows 0, 3, 6, 9

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => DatasetEvaluation.Evaluate(classifier, file, options, batchSize: 4, cancel: cancelled.Token));
    }
}
