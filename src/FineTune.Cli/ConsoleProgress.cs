using System.Diagnostics;
using FineTune.Core.Reporting;
using FineTune.Core.Training;

namespace FineTune.Cli;

/// <summary>
/// Progress on stderr: a live bar (epoch, step, loss, samples/s, ETA) redrawn in place on a terminal, and the log
/// lines (loss, evaluations, checkpoints) as they happen, so redirected output stays a readable log.
/// </summary>
public sealed class ConsoleProgress(TextWriter writer) : ITrainerObserver
{
    readonly bool live = !Console.IsErrorRedirected;
    readonly Stopwatch clock = new();
    TrainPlan? plan;
    int samples;
    bool barShown;

    public void OnTrainBegin(TrainPlan p)
    {
        plan = p;
        clock.Restart();
        writer.WriteLine($"training: {p.TrainExamples} examples, {p.NumEpochs} epochs x {p.StepsPerEpoch} steps = {p.MaxSteps} steps (warmup {p.WarmupSteps}), evaluating on {p.EvalExamples}" + (p.StartStep > 0 ? $", resuming at step {p.StartStep}" : ""));
    }

    public void OnStep(StepInfo s)
    {
        samples += s.Samples;
        if (!live || plan is null) return;
        double rate = samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        int done = s.Step - plan.StartStep, left = s.MaxSteps - s.Step;
        var eta = done > 0 ? TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * left) : TimeSpan.Zero;
        const int width = 30;
        int filled = (int)(width * (double)s.Step / Math.Max(1, s.MaxSteps));
        writer.Write($"\repoch {Math.Min(plan.NumEpochs, (int)Math.Ceiling(s.Epoch))}/{plan.NumEpochs} [{new string('#', filled)}{new string('.', width - filled)}] step {s.Step}/{s.MaxSteps} loss {s.Loss:0.0000} {rate:0.0} samples/s ETA {eta:m\\:ss}   ");
        barShown = true;
    }

    public void OnLog(LogEntry e) => Line(string.Join("  ", new[] { $"step {e.Step}", $"epoch {e.Epoch:0.00}" }.Concat(e.Values.Select(kv => $"{kv.Key} {Format(kv.Key, kv.Value)}"))));

    public void OnSave(string checkpoint, double seconds) => Line($"saved {checkpoint}");

    public void Finish()
    {
        if (barShown) writer.WriteLine();
        barShown = false;
    }

    void Line(string text)
    {
        if (barShown) writer.Write("\r" + new string(' ', 110) + "\r");
        writer.WriteLine(text);
        barShown = false;
    }

    static string Format(string key, double v) => key == "learning_rate" ? v.ToString("0.00e+0") : v.ToString("0.0000");
}
