using FineTune.Contracts.V1;

namespace FineTune.Coordinator.Sweeps;

/// <summary>A sweep record as the Jobs API's <see cref="Sweep"/> message.</summary>
public static class SweepMessages
{
    public static Sweep ToMessage(SweepRecord s)
    {
        var m = new Sweep
        {
            Id = s.Id,
            State = s.State,
            Metric = s.Spec.Metric,
            GreaterIsBetter = s.Spec.GreaterIsBetter,
            PlannedTrials = s.PlannedTrials,
            WorkersPerTrial = s.Spec.WorkersPerTrial,
            BestTrial = s.BestTrial ?? -1,
            CreatedUnixMs = s.CreatedUnixMs,
            EndedUnixMs = s.EndedUnixMs ?? 0,
            Error = s.Error ?? "",
            Text = s.Text,
            TestJobId = s.TestJob ?? "",
        };
        foreach (var (key, value) in s.TestMetrics ?? new Dictionary<string, double>()) m.TestMetrics[key] = value;
        foreach (var t in s.Trials)
        {
            var trial = new SweepTrial
            {
                Index = t.Index,
                State = t.State,
                Metric = t.Value ?? 0,
                HasMetric = t.Value is not null,
                Reason = t.Reason ?? "",
                JobId = s.TrialJobs[t.Index],
                StartedUnixMs = new DateTimeOffset(t.Started).ToUnixTimeMilliseconds(),
                EndedUnixMs = t.Ended is { } ended ? new DateTimeOffset(ended).ToUnixTimeMilliseconds() : 0,
            };
            foreach (var (key, value) in t.Config.Values) trial.Params[key] = value;
            trial.Evaluations.AddRange(t.Points.Select(p => p.Value));
            m.Trials.Add(trial);
        }
        return m;
    }
}
