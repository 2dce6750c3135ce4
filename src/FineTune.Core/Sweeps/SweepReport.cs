using System.Globalization;
using System.Text;
using System.Text.Json;
using FineTune.Core.Reporting;
using ScottPlot;

namespace FineTune.Core.Sweeps;

/// <summary>
/// A sweep's output files: sweep.json (<see cref="SweepResult.ToJson"/>), sweep_report.md (the best trial with its
/// validation and test scores, then one row per trial: parameters, metric, state, stop reason) and
/// sweep_metric.png (each trial's metric at each evaluation against the time since the sweep started).
/// </summary>
public static class SweepReport
{
    public const string JsonFile = "sweep.json";
    public const string MarkdownFile = "sweep_report.md";
    public const string PlotFile = "sweep_metric.png";

    public static void Write(SweepResult result, string folder)
    {
        File.WriteAllText(Path.Combine(folder, JsonFile), result.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var plot = Plot(result);
        if (plot is not null) File.WriteAllBytes(Path.Combine(folder, PlotFile), plot);
        File.WriteAllText(Path.Combine(folder, MarkdownFile), Markdown(result, plot is not null));
    }

    public static string Markdown(SweepResult result, bool withPlot)
    {
        var inv = CultureInfo.InvariantCulture;
        var spec = result.Spec;
        var md = new StringBuilder($"# Sweep {Path.GetFileName(spec.Path)}\n\n");
        md.Append(inv, $"{result.Trials.Count} trials, sampler {spec.Sampler}, metric {spec.Metric} ({(spec.GreaterIsBetter ? "higher" : "lower")} is better)");
        md.Append(spec.EarlyStopping is { } a ? string.Create(inv, $", ASHA (grace_period {a.GracePeriod}, max_t {a.MaxT}, reduction_factor {a.ReductionFactor}): {result.SavedShare:0.#%} of the trial evaluations saved.\n\n") : ".\n\n");
        md.Append(inv, $"Data: {result.Splits.Train} train, {result.Splits.Validation} validation{Source(result.Splits.ValidationSource)}, {result.Splits.Test} test{Source(result.Splits.TestSource)}.\n\n");
        if (result.Best is { } best)
        {
            md.Append(inv, $"**Best: trial {best.Index}** ({best.Config}): validation {spec.Metric} {best.Value:0.####}");
            md.Append(result.Test is { } t ? string.Create(inv,
                $"; test set, scored once on this model: accuracy {t[TestScores.Accuracy]:0.####}, macro-F1 {t[TestScores.F1Macro]:0.####}, loss {t[TestScores.Loss]:0.####}.\n\n") : ".\n\n");
        }
        else md.Append("No trial succeeded: there is no best model.\n\n");

        var keys = spec.Space.Select(d => d.Key).ToList();
        md.Append("| trial | ").Append(string.Join(" | ", keys)).Append(inv, $" | {spec.Metric} | evaluations | state | reason |\n");
        md.Append("|---:|").Append(string.Concat(keys.Select(_ => "---|"))).Append("---:|---:|---|---|\n");
        foreach (var t in result.Trials)
        {
            md.Append(inv, $"| {t.Index} | ").Append(string.Join(" | ", keys.Select(k => t.Config[k] ?? "")));
            md.Append(inv, $" | {(t.Value is { } v ? v.ToString("0.####", inv) : "")} | {t.Evaluations} | {t.State} | {(t.Reason ?? "").Replace("|", "\\|")} |\n");
        }
        if (withPlot) md.Append(inv, $"\n![{spec.Metric} per trial]({PlotFile})\n");
        return md.ToString();
    }

    static string Source(string source) => source.Length > 0 ? $" ({source})" : "";

    /// <summary>Each trial's metric per evaluation against minutes since the sweep started; null without evaluations.</summary>
    static byte[]? Plot(SweepResult result)
    {
        var series = result.Trials.Where(t => t.Points.Count > 0).ToList();
        if (series.Count == 0) return null;
        using var plot = ReportPlots.NewPlot($"{result.Spec.Metric} per trial", "Minutes since the sweep started", result.Spec.Metric);
        foreach (var t in series)
        {
            double[] x = [.. t.Points.Select(p => (p.At - result.Started).TotalMinutes)];
            double[] y = [.. t.Points.Select(p => double.IsFinite(p.Value) ? p.Value : double.NaN)];
            var line = plot.Add.ScatterLine(x, y, Colors.Category10[t.Index % 10]);
            line.LegendText = $"trial {t.Index}{(t.State == TrialStates.Stopped ? " (stopped)" : "")}";
            line.LineWidth = result.Best == t ? 3 : 1.5f;
            line.MarkerSize = 6;
        }
        plot.ShowLegend();
        return ReportPlots.Render(plot, ReportPlots.Width, ReportPlots.Height);
    }
}
