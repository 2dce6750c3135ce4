using System.Globalization;
using System.Text;
using FineTune.Core.Training;

namespace FineTune.Core.Reporting;

/// <summary>report.md: a title, the summary table, the per-class table and the charts, linked relatively.</summary>
internal static class ReportMarkdown
{
    // Display names for the summary keys the trainer uses (HF's metric names); other keys are shown as given.
    static readonly Dictionary<string, string> DisplayNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["model"] = "Model",
        ["dataset"] = "Dataset",
        ["epoch"] = "Epochs",
        ["epochs"] = "Epochs",
        ["num_train_epochs"] = "Epochs",
        ["global_step"] = "Steps",
        ["steps"] = "Steps",
        ["world_size"] = "Workers",
        ["train_runtime"] = "Runtime (s)",
        ["runtime"] = "Runtime",
        ["train_samples_per_second"] = "Samples/s",
        ["train_steps_per_second"] = "Steps/s",
        ["train_loss"] = "Training loss",
        ["eval_accuracy"] = "Eval accuracy",
        ["eval_f1_macro"] = "Eval macro-F1",
        ["eval_loss"] = "Eval loss",
        ["eval_samples"] = "Eval samples",
    };

    internal static string Build(
        IReadOnlyList<LogEntry> history,
        EvalResult? finalEval,
        IReadOnlyDictionary<string, string> summary,
        IReadOnlyList<(string File, string Title)> images)
    {
        var md = new StringBuilder();
        md.Append("# Fine-tuning report\n\n");

        md.Append("## Summary\n\n| | |\n|---|---|\n");
        foreach (var (key, value) in summary)
            Row(md, DisplayNames.GetValueOrDefault(key, key), value);
        // The final evaluation, unless the caller already put it in the summary.
        foreach (var (key, value) in FinalEvalRows(history, finalEval))
            if (!summary.ContainsKey(key)) Row(md, DisplayNames[key], value);
        md.Append('\n');

        if (finalEval is { PerClass.Count: > 0 })
        {
            md.Append("## Per class\n\n| Label | Precision | Recall | F1 | Support |\n|---|---:|---:|---:|---:|\n");
            foreach (var c in finalEval.PerClass)
                md.Append(CultureInfo.InvariantCulture, $"| {Cell(c.Label)} | {F(c.Precision)} | {F(c.Recall)} | {F(c.F1)} | {c.Support} |\n");
            // Macro averages over the labels sklearn counts: those that occur in the truth or the predictions.
            var present = finalEval.PerClass.Where((c, i) => c.Support > 0 || PredictedCount(finalEval, i) > 0).ToArray();
            if (present.Length > 0)
                md.Append(CultureInfo.InvariantCulture,
                    $"| **macro avg** | {F(present.Average(c => c.Precision))} | {F(present.Average(c => c.Recall))} | {F(finalEval.F1Macro)} | {finalEval.Samples} |\n");
            md.Append(CultureInfo.InvariantCulture, $"| **accuracy** | | | {F(finalEval.Accuracy)} | {finalEval.Samples} |\n\n");
        }

        foreach (var (file, title) in images)
            md.Append(CultureInfo.InvariantCulture, $"## {title}\n\n![{title}]({file})\n\n");
        return md.ToString().TrimEnd('\n') + "\n";
    }

    // From the final evaluation, else from the last eval entry of the history.
    static IEnumerable<(string Key, string Value)> FinalEvalRows(IReadOnlyList<LogEntry> history, EvalResult? finalEval)
    {
        if (finalEval is not null)
        {
            yield return ("eval_accuracy", F(finalEval.Accuracy));
            yield return ("eval_f1_macro", F(finalEval.F1Macro));
            yield return ("eval_loss", F(finalEval.Loss));
            yield return ("eval_samples", finalEval.Samples.ToString(CultureInfo.InvariantCulture));
            yield break;
        }
        var last = history.LastOrDefault(e => e["eval_accuracy"] is not null || e["eval_loss"] is not null);
        if (last is null) yield break;
        foreach (var key in new[] { "eval_accuracy", "eval_f1_macro", "eval_loss" })
            if (last[key] is { } value) yield return (key, F(value));
    }

    static long PredictedCount(EvalResult eval, int label) => eval.ConfusionMatrix.Sum(row => (long)row[label]);

    static void Row(StringBuilder md, string name, string value) => md.Append($"| {Cell(name)} | {Cell(value)} |\n");

    // A table cell on one line, with its pipes escaped.
    static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    static string F(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
