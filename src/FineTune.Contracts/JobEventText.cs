using System.Globalization;
using FineTune.Contracts.V1;

namespace FineTune.Contracts;

/// <summary>
/// A job's events as the lines a person reads: `finetune watch` prints them, and the AppHost writes them into each
/// job row's console on the dashboard. One wording for both.
/// </summary>
public static class JobEventText
{
    /// <summary>"job ID: running on 2 workers (worker-0, worker-1)", or the state with the error, stop or recovery reason.</summary>
    public static string State(Job job)
    {
        var state = JobStates.StateOf(job);
        var text = $"job {job.Id}: {state.Name()}";
        if (job.Workers.Count > 0 && !state.IsFinal()) text += $" on {job.WorldSize} worker{(job.WorldSize == 1 ? "" : "s")} ({string.Join(", ", job.Workers)})";
        if (job.Error is not "") text += $": {job.Error}";
        else if (state == JobState.Stopped && job.StopReason is not "") text += $": {job.StopReason}";
        else if (state == JobState.Recovering && RecoveryReason(job) is { } reason) text += $": {reason}";
        return text;
    }

    /// <summary>"step 50  epoch 1.00  loss 0.6931  learning_rate 4.00e-5": one log_history entry.</summary>
    public static string Log(LogEvent e) => string.Join("  ",
        new[] { $"step {e.Step}", string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch:0.00}") }
            .Concat(e.Values.Select(kv => $"{kv.Key} {Format(kv.Key, kv.Value)}")));

    /// <summary>"step 12/150  epoch 0.24  loss 0.6931  21.5 samples/s": one optimizer step.</summary>
    public static string Step(StepEvent s) => string.Create(CultureInfo.InvariantCulture,
        $"step {s.Step}/{s.MaxSteps}  epoch {s.Epoch:0.00}  loss {s.Loss:0.0000}  {s.SamplesPerSecond:0.0} samples/s");

    // Why the job is recovering (the coordinator's one-line reason: the lost worker, or the rank and its error).
    static string? RecoveryReason(Job job)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(job.Json)?["recoveries"]?.AsArray() is [.., var last] ? last?["reason"]?.GetValue<string>() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    static string Format(string key, double v) => key == "learning_rate" ? v.ToString("0.00e+0", CultureInfo.InvariantCulture) : v.ToString("0.0000", CultureInfo.InvariantCulture);
}
