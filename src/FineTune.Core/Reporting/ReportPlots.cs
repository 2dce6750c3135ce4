using System.Globalization;
using FineTune.Core.Training;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace FineTune.Core.Reporting;

/// <summary>
/// The report's charts as PNG bytes, sized and styled for a slide: a title, labelled axes, a legend only when there
/// is more than one series. Each method returns null when the history has nothing to draw.
/// </summary>
internal static class ReportPlots
{
    internal const int Width = 800;
    internal const int Height = 500;

    // From this many points on, the raw loss is drawn faint with a smoothed line on top.
    internal const int SmoothFrom = 30;

    const int MaxLabelLength = 18;

    static readonly Color Blue = Colors.Category10[0];
    static readonly Color Orange = Colors.Category10[1];
    static readonly Color Green = Colors.Category10[2];

    /// <summary>Training loss vs step (raw and smoothed), with eval_loss points when the history has them.</summary>
    internal static byte[]? Loss(IReadOnlyList<LogEntry> history)
    {
        var (trainX, trainY) = Series(history, "loss");
        var (evalX, evalY) = Series(history, "eval_loss");
        if (trainX.Length == 0 && evalX.Length == 0) return null;

        using var plot = NewPlot("Training loss", "Step", "Loss");
        var series = 0;
        if (trainX.Length > 0)
        {
            var smooth = trainX.Length >= SmoothFrom;
            var raw = plot.Add.ScatterLine(trainX, trainY, smooth ? Blue.WithAlpha(0.3) : Blue);
            raw.LineWidth = smooth ? 1 : 2;
            raw.LegendText = smooth ? "Training loss (raw)" : "Training loss";
            series++;
            if (smooth)
            {
                var line = plot.Add.ScatterLine(trainX, LossSmoothing.Ema(trainY, LossSmoothing.WeightFor(trainY.Length)), Blue);
                line.LineWidth = 2.5f;
                line.LegendText = "Training loss (smoothed)";
                series++;
            }
        }
        if (evalX.Length > 0)
        {
            var eval = plot.Add.Scatter(evalX, evalY, Orange);
            eval.LineWidth = 1.5f;
            eval.LinePattern = LinePattern.Dashed;
            eval.MarkerSize = 9;
            eval.LegendText = "Eval loss";
            series++;
        }
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        if (series > 1) plot.ShowLegend(Alignment.UpperRight);
        return Render(plot, Width, Height);
    }

    /// <summary>The learning-rate schedule vs step, from zero, with tick labels like 5e-5.</summary>
    internal static byte[]? LearningRate(IReadOnlyList<LogEntry> history)
    {
        var (x, y) = Series(history, "learning_rate");
        if (x.Length == 0) return null;
        using var plot = NewPlot("Learning rate", "Step", "Learning rate");
        var line = plot.Add.ScatterLine(x, y, Green);
        line.LineWidth = 2.5f;
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Left.TickGenerator = new NumericAutomatic { LabelFormatter = Scientific };
        var top = y.Max();
        plot.Axes.SetLimitsY(0, top > 0 ? top * 1.08 : 1);
        return Render(plot, Width, Height);
    }

    /// <summary>eval_accuracy and eval_f1_macro vs step.</summary>
    internal static byte[]? EvalAccuracy(IReadOnlyList<LogEntry> history)
    {
        var (accX, accY) = Series(history, "eval_accuracy");
        var (f1X, f1Y) = Series(history, "eval_f1_macro");
        if (accX.Length == 0 && f1X.Length == 0) return null;

        using var plot = NewPlot("Evaluation accuracy and macro-F1", "Step", "Score");
        var series = 0;
        if (accX.Length > 0)
        {
            var acc = plot.Add.Scatter(accX, accY, Blue);
            acc.LineWidth = 2.5f;
            acc.MarkerSize = 9;
            acc.LegendText = "Accuracy";
            series++;
        }
        if (f1X.Length > 0)
        {
            var f1 = plot.Add.Scatter(f1X, f1Y, Orange);
            f1.LineWidth = 2.5f;
            f1.MarkerSize = 9;
            f1.MarkerShape = MarkerShape.FilledSquare;
            f1.LegendText = "Macro F1";
            series++;
        }
        // Scores live in [0, 1]: show the band they occupy, rounded out to tenths, never past the ends.
        var all = accY.Concat(f1Y).ToArray();
        var low = Math.Max(0, Math.Floor((all.Min() - 0.02) * 10) / 10);
        var high = Math.Min(1, Math.Ceiling((all.Max() + 0.02) * 10) / 10);
        plot.Axes.SetLimitsY(low, Math.Max(high, low + 0.1));
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        if (series > 1) plot.ShowLegend(Alignment.LowerRight);
        return Render(plot, Width, Height);
    }

    /// <summary>The side of the square confusion-matrix image: room for 2 to 20 labels and their names.</summary>
    internal static int ConfusionSize(int labels) => Math.Clamp(250 + 40 * labels, 700, 1100);

    /// <summary>
    /// A heatmap of <see cref="EvalResult.ConfusionMatrix"/>: true labels as rows (top to bottom), predictions as
    /// columns, each cell's count written in it, coloured by its share of the row (so the diagonal reads as recall).
    /// </summary>
    internal static byte[]? ConfusionMatrix(EvalResult eval)
    {
        var counts = eval.ConfusionMatrix;
        var n = counts.Length;
        if (n == 0) return null;
        var size = ConfusionSize(n);
        using var plot = NewPlot("Confusion matrix", "Predicted label", "True label");
        var colormap = new ScottPlot.Colormaps.Blues();

        // Cell size in pixels (the data area is the image less the axes and title), and a font that fits the widest count.
        var cell = (size - 220f) / n;
        var digits = counts.SelectMany(r => r).DefaultIfEmpty(0).Max().ToString(CultureInfo.InvariantCulture).Length;
        var fontSize = Math.Clamp(Math.Min(cell * 0.35f, cell * 0.8f / (0.62f * digits)), 7f, 24f);

        for (var i = 0; i < n; i++)
        {
            long rowTotal = counts[i].Sum(c => (long)c);
            var y = n - 1 - i; // row 0 at the top
            for (var j = 0; j < n; j++)
            {
                var share = rowTotal == 0 ? 0 : (double)counts[i][j] / rowTotal;
                var rect = plot.Add.Rectangle(j - 0.5, j + 0.5, y - 0.5, y + 0.5);
                rect.FillColor = colormap.GetColor(1 - share); // ScottPlot's Blues runs from dark (0) to light (1)
                rect.LineColor = Colors.White;
                rect.LineWidth = 1;
                var text = plot.Add.Text(counts[i][j].ToString(CultureInfo.InvariantCulture), j, y);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = fontSize;
                text.LabelFontColor = share > 0.5 ? Colors.White : Colors.Black;
                // Text plottables take ScottPlot's default font when created; Plot.Font.Set does not reach them.
                if (PlotFonts.Name is { } font) text.LabelFontName = font;
            }
        }

        var names = eval.LabelNames.Count == n ? eval.LabelNames.Select(Shorten).ToArray()
            : Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new NumericManual(positions, names);
        plot.Axes.Left.TickGenerator = new NumericManual(positions.Reverse().ToArray(), names);
        var tickFont = Math.Clamp(cell * 0.3f, 9f, 14f);
        plot.Axes.Bottom.TickLabelStyle.FontSize = tickFont;
        plot.Axes.Left.TickLabelStyle.FontSize = tickFont;
        var longest = names.Max(s => s.Length);
        if (longest * tickFont * 0.6f > cell * 0.9f)
        {
            // Names wider than their column: slant them, ending at their tick (towards the free space below the
            // row names rather than off the right edge), and reserve the height they need under the axis.
            plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            plot.Axes.Bottom.MinimumSize = longest * tickFont * 0.6f * 0.75f + 40;
        }
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        return Render(plot, size, size);
    }

    internal static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title, 20);
        plot.XLabel(xLabel, 15);
        plot.YLabel(yLabel, 15);
        return plot;
    }

    internal static byte[] Render(Plot plot, int width, int height)
    {
        PlotFonts.Apply(plot);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    // The entries that have the value, in step order; non-finite values (a diverged step) are left out of the drawing.
    static (double[] X, double[] Y) Series(IReadOnlyList<LogEntry> history, string key)
    {
        var points = history
            .Select(e => (X: (double)e.Step, Y: e[key]))
            .Where(p => p.Y is { } y && double.IsFinite(y))
            .OrderBy(p => p.X)
            .ToArray();
        return (points.Select(p => p.X).ToArray(), points.Select(p => p.Y!.Value).ToArray());
    }

    // 4.9e-5 rather than 0.000049: learning rates are read in powers of ten.
    static string Scientific(double value)
    {
        if (value == 0) return "0";
        var text = value.ToString("0.##e+0", CultureInfo.InvariantCulture);
        return text.Replace("e+", "e", StringComparison.Ordinal);
    }

    static string Shorten(string name) => name.Length <= MaxLabelLength ? name : name[..(MaxLabelLength - 1)] + "…";
}
