using FineTune.Core.Reporting;
namespace FineTune.Core.Training;

/// <summary>
/// The outcome of one evaluation: accuracy, macro-F1 and mean loss over <paramref name="Samples"/> examples, the per-class
/// table and the confusion matrix (<c>ConfusionMatrix[i][j]</c> = examples of true label i predicted as j).
/// </summary>
public sealed record EvalResult(
    double Accuracy,
    double F1Macro,
    double Loss,
    IReadOnlyList<ClassMetrics> PerClass,
    int[][] ConfusionMatrix,
    IReadOnlyList<string> LabelNames,
    int Samples)
{
    /// <summary>A cluster job's final evaluation as rank 0 uploads it into the job's output folder (this record as JSON).</summary>
    public const string FinalFile = "final_eval.json";
}
