using System.Buffers.Binary;
using FineTune.Core.Reporting;
using FineTune.Core.Training;

namespace FineTune.Core.Tests.Training;

public sealed class TrainingReportTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("finetune-report-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static readonly string[] Stars = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"];

    // 300 logged steps of a noisy, decaying loss under a linear schedule, and an evaluation every 100 steps.
    static List<LogEntry> SyntheticHistory()
    {
        var random = new Random(42);
        var history = new List<LogEntry>();
        for (var step = 1; step <= 300; step++)
        {
            var loss = 0.9 + 0.7 * Math.Exp(-step / 80.0) + 0.25 * (random.NextDouble() - 0.5);
            history.Add(new LogEntry(step, step / 100.0, new Dictionary<string, double>
            {
                ["loss"] = loss,
                ["learning_rate"] = 5e-5 * (300 - step) / 300,
                ["grad_norm"] = 2 + random.NextDouble(),
            }));
            if (step % 100 == 0)
                history.Add(new LogEntry(step, step / 100.0, new Dictionary<string, double>
                {
                    ["eval_loss"] = 1.2 - step / 1000.0,
                    ["eval_accuracy"] = 0.45 + step / 2000.0,
                    ["eval_f1_macro"] = 0.42 + step / 2000.0,
                }));
        }
        return history;
    }

    static EvalResult FiveClassEval()
    {
        long[,] confusion =
        {
            { 152, 38, 6, 2, 2 },
            { 41, 101, 47, 8, 3 },
            { 7, 44, 98, 44, 7 },
            { 2, 6, 39, 103, 50 },
            { 1, 2, 8, 49, 140 },
        };
        return ClassificationMetrics.FromCounts(confusion, lossSum: 1000 * 0.97, Stars);
    }

    [Fact]
    public void Writes_four_charts_and_a_report_that_links_them()
    {
        var eval = FiveClassEval();
        var summary = new Dictionary<string, string>
        {
            ["model"] = "google-bert/bert-base-cased",
            ["dataset"] = "yelp_review_full (1000 train / 1000 eval)",
            ["epoch"] = "3",
            ["global_step"] = "300",
            ["train_runtime"] = "41.2",
            ["train_samples_per_second"] = "58.3",
        };

        TrainingReport.Write(_folder, SyntheticHistory(), eval, summary);

        AssertPng(TrainingReport.LossFile, ReportPlots.Width, ReportPlots.Height);
        AssertPng(TrainingReport.LearningRateFile, ReportPlots.Width, ReportPlots.Height);
        AssertPng(TrainingReport.EvalAccuracyFile, ReportPlots.Width, ReportPlots.Height);
        AssertPng(TrainingReport.ConfusionMatrixFile, ReportPlots.ConfusionSize(5), ReportPlots.ConfusionSize(5));

        var md = File.ReadAllText(Path.Combine(_folder, TrainingReport.ReportFile));
        foreach (var png in new[] { "loss.png", "learning_rate.png", "eval_accuracy.png", "confusion_matrix.png" })
            Assert.Contains($"]({png})", md);
        Assert.Equal(0.594, eval.Accuracy, 12); // (152 + 101 + 98 + 103 + 140) / 1000
        Assert.Contains("| Eval accuracy | 0.5940 |", md);
        Assert.Contains("| Model | google-bert/bert-base-cased |", md);
        Assert.Contains("| Runtime (s) | 41.2 |", md);
        Assert.Contains("| 3 stars |", md);
        Assert.Contains("**macro avg**", md);
        Assert.DoesNotContain(Directory.GetFiles(_folder), f => f.EndsWith(".tmp", StringComparison.Ordinal));

        // Set FINETUNE_TEST_REPORT_DIR to keep this report and look at the charts.
        if (Environment.GetEnvironmentVariable("FINETUNE_TEST_REPORT_DIR") is { Length: > 0 } keep)
        {
            Directory.CreateDirectory(keep);
            foreach (var file in Directory.GetFiles(_folder)) File.Copy(file, Path.Combine(keep, Path.GetFileName(file)), overwrite: true);
        }
    }

    [Fact]
    public void Leaves_out_charts_without_data_and_removes_stale_ones()
    {
        File.WriteAllBytes(Path.Combine(_folder, TrainingReport.ConfusionMatrixFile), [1]); // from an earlier run
        var history = SyntheticHistory().Where(e => e["loss"] is not null).Take(12).ToList();

        TrainingReport.Write(_folder, history, finalEval: null, new Dictionary<string, string>());

        Assert.True(File.Exists(Path.Combine(_folder, TrainingReport.LossFile)));
        Assert.True(File.Exists(Path.Combine(_folder, TrainingReport.LearningRateFile)));
        Assert.False(File.Exists(Path.Combine(_folder, TrainingReport.EvalAccuracyFile)));
        Assert.False(File.Exists(Path.Combine(_folder, TrainingReport.ConfusionMatrixFile)));
        var md = File.ReadAllText(Path.Combine(_folder, TrainingReport.ReportFile));
        Assert.DoesNotContain("eval_accuracy.png", md);
        Assert.DoesNotContain("confusion_matrix.png", md);
    }

    [Fact]
    public void Plots_use_the_bundled_font_so_text_renders_without_system_fonts()
    {
        // On a machine with no fonts, SkiaSharp silently draws no text; the bundled Inter avoids that.
        Assert.Equal(PlotFonts.BundledName, PlotFonts.Name);
        var faces = BundledFont.Load();
        Assert.NotNull(faces);
        using var typeface = SkiaSharp.SKTypeface.FromData(SkiaSharp.SKData.CreateCopy(faces.Regular));
        Assert.Equal("Inter", typeface.FamilyName);
        Assert.NotEqual(0, typeface.GetGlyph('A'));
    }

    [Fact]
    public void Smoothing_is_debiased_and_tracks_a_constant()
    {
        Assert.Equal([2.0, 2.0, 2.0], LossSmoothing.Ema([2.0, 2.0, 2.0], 0.9).Select(v => Math.Round(v, 12)));
        var smoothed = LossSmoothing.Ema([0.0, 10.0], 0.5);
        Assert.Equal(0, smoothed[0]);
        Assert.Equal(10.0 * 0.5 / 0.75, smoothed[1], 12);
    }

    void AssertPng(string file, int width, int height)
    {
        var bytes = File.ReadAllBytes(Path.Combine(_folder, file));
        Assert.True(bytes.Length > 1000, $"{file} is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        // The first chunk is IHDR: 4-byte length, "IHDR", then big-endian width and height.
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        var actual = (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        Assert.Equal((width, height), actual);
    }
}
