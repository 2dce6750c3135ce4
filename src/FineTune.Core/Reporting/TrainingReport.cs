using FineTune.Contracts.Transfers;
using FineTune.Core.Training;
namespace FineTune.Core.Reporting;

/// <summary>
/// The human-readable end of a run: charts (PNG) and report.md in the output folder, next to the model, so a person
/// can judge the training at a glance or paste the charts into a slide.
/// </summary>
public static class TrainingReport
{
    public const string ReportFile = "report.md";
    public const string LossFile = "loss.png";
    public const string LearningRateFile = "learning_rate.png";
    public const string EvalAccuracyFile = "eval_accuracy.png";
    public const string ConfusionMatrixFile = "confusion_matrix.png";

    /// <summary>
    /// Writes into <paramref name="outputDir"/> (created if missing): loss.png (training loss vs step, smoothed when
    /// there are many points, eval_loss points if present), learning_rate.png, eval_accuracy.png (eval_accuracy and
    /// eval_f1_macro vs step, if any eval entries), confusion_matrix.png (from <paramref name="finalEval"/>), and
    /// report.md with the <paramref name="summary"/> table (HF metric names such as train_runtime get readable
    /// names; other keys show as given), the final evaluation, the per-class table and the charts. A chart with
    /// nothing to show is not written, and one left by an earlier report in the folder is removed.
    /// </summary>
    public static void Write(string outputDir, IReadOnlyList<LogEntry> history, EvalResult? finalEval, IReadOnlyDictionary<string, string> summary)
    {
        ArgumentNullException.ThrowIfNull(outputDir);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(summary);
        Directory.CreateDirectory(outputDir);

        var charts = new (string File, string Title, Func<byte[]?> Draw)[]
        {
            (LossFile, "Loss", () => ReportPlots.Loss(history)),
            (LearningRateFile, "Learning rate", () => ReportPlots.LearningRate(history)),
            (EvalAccuracyFile, "Evaluation", () => ReportPlots.EvalAccuracy(history)),
            (ConfusionMatrixFile, "Confusion matrix", () => finalEval is null ? null : ReportPlots.ConfusionMatrix(finalEval)),
        };
        var written = new List<(string File, string Title)>();
        foreach (var (file, title, draw) in charts)
        {
            var path = Path.Combine(outputDir, file);
            if (draw() is { } png)
            {
                AtomicFile.WriteAllBytes(path, png);
                written.Add((file, title));
            }
            else if (File.Exists(path))
            {
                File.Delete(path); // a stale chart from an earlier run would contradict this report
            }
        }
        AtomicFile.WriteAllText(Path.Combine(outputDir, ReportFile), ReportMarkdown.Build(history, finalEval, summary, written));
    }
}
