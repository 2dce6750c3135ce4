using FineTune.Core.Sweeps;

namespace FineTune.Core.Tests.Sweeps;

/// <summary>
/// ASHA against fixed sequences of reports. The expected decisions and cutoffs are Ray Tune's: its _Bracket.on_result
/// and numpy's nanpercentile (numpy 1.24), run on the same sequences when these tests were written.
/// </summary>
public class AshaSchedulerTests
{
    static AshaAction[] Actions(IEnumerable<AshaDecision> decisions) => [.. decisions.Select(d => d.Action)];

    const AshaAction Go = AshaAction.Continue, Stop = AshaAction.Stop, Done = AshaAction.Complete;

    /// <summary>(trial, evaluations, eval_accuracy) in arrival order: grace 1, max_t 9, eta 3, so rungs at 1 and 3.</summary>
    static readonly AshaReport[] Accuracies =
    [
        new(0, 1, 0.5), new(1, 1, 0.6), new(2, 1, 0.55), new(3, 1, 0.6), new(4, 1, 0.56),
        new(1, 2, 0.62), new(1, 3, 0.7), new(3, 3, 0.65), new(0, 3, 0.9), new(1, 9, 0.8),
    ];

    [Fact]
    public void Rungs_sit_at_grace_period_times_powers_of_eta_below_max_t()
    {
        Assert.Equal([1, 3], new AshaOptions(1, 9, 3).Rungs());
        Assert.Equal([2, 4, 8, 16], new AshaOptions(2, 20, 2).Rungs());
        Assert.Equal([1], new AshaOptions(1, 3, 3).Rungs());
        Assert.Empty(new AshaOptions(3, 3, 3).Rungs());
    }

    [Fact]
    public void Each_report_is_judged_against_the_values_recorded_at_its_rung_before_it()
    {
        var asha = new AshaScheduler(new AshaOptions(1, 9, 3), "eval_accuracy", greaterIsBetter: true);
        var decisions = asha.Replay(Accuracies);
        Assert.Equal([Go, Go, Stop, Go, Stop, Go, Go, Stop, Go, Done], Actions(decisions));
        Assert.Equal([
            "asha: eval_accuracy 0.5 is the first at rung 0 (1 evaluation): continue",
            "asha: eval_accuracy 0.6 at or above the rung-0 cutoff 0.5 (the best 1/3 of 1 trial at 1 evaluation): continue",
            "asha: eval_accuracy 0.55 below the rung-0 cutoff 0.566667 (the best 1/3 of 2 trials at 1 evaluation): stop",
            "asha: eval_accuracy 0.6 at or above the rung-0 cutoff 0.566667 (the best 1/3 of 3 trials at 1 evaluation): continue",
            "asha: eval_accuracy 0.56 below the rung-0 cutoff 0.6 (the best 1/3 of 4 trials at 1 evaluation): stop",
            "asha: no new rung at 2 evaluations (rungs at 1, 3): continue",
            "asha: eval_accuracy 0.7 is the first at rung 1 (3 evaluations): continue",
            "asha: eval_accuracy 0.65 below the rung-1 cutoff 0.7 (the best 1/3 of 1 trial at 3 evaluations): stop",
            "asha: eval_accuracy 0.9 at or above the rung-1 cutoff 0.683333 (the best 1/3 of 2 trials at 3 evaluations): continue",
            "asha: 9 evaluations reached max_t 9: complete",
        ], decisions.Select(d => d.Reason));
        // A stopped trial's value stays recorded, as Ray keeps it: it raises the bar for later trials.
        Assert.Equal(new Dictionary<int, double> { [0] = 0.5, [1] = 0.6, [2] = 0.55, [3] = 0.6, [4] = 0.56 }, asha.RecordedAt(0));
    }

    [Fact]
    public void A_value_equal_to_the_cutoff_continues()
    {
        var asha = new AshaScheduler(new AshaOptions(1, 4, 2), "eval_accuracy", greaterIsBetter: true);
        var decisions = asha.Replay([new(0, 1, 0.4), new(1, 1, 0.6), new(2, 1, 0.5), new(3, 1, 0.49)]);
        Assert.Equal([Go, Go, Go, Stop], Actions(decisions));
        Assert.Equal("asha: eval_accuracy 0.5 at or above the rung-0 cutoff 0.5 (the best 1/2 of 2 trials at 1 evaluation): continue", decisions[2].Reason);
    }

    [Fact]
    public void For_a_loss_lower_is_better_and_the_cutoff_mirrors()
    {
        var asha = new AshaScheduler(new AshaOptions(1, 3, 3), "eval_loss", greaterIsBetter: false);
        var decisions = asha.Replay([new(0, 1, 0.5), new(1, 1, 0.4), new(2, 1, 0.45), new(3, 1, 0.42), new(1, 3, 0.3)]);
        Assert.Equal([Go, Go, Stop, Go, Done], Actions(decisions));
        Assert.Equal("asha: eval_loss 0.45 above the rung-0 cutoff 0.433333 (the best 1/3 of 2 trials at 1 evaluation): stop", decisions[2].Reason);
        Assert.Equal("asha: eval_loss 0.42 at or below the rung-0 cutoff 0.433333 (the best 1/3 of 3 trials at 1 evaluation): continue", decisions[3].Reason);
    }

    [Fact]
    public void A_restart_that_replays_the_record_makes_the_same_next_decisions()
    {
        var options = new AshaOptions(1, 9, 3);
        var live = new AshaScheduler(options, "eval_accuracy", true);
        var liveDecisions = Accuracies.Select(live.Report).ToList();
        var restarted = new AshaScheduler(options, "eval_accuracy", true);
        Assert.Equal(liveDecisions, restarted.Replay(Accuracies[..6]).Concat(Accuracies[6..].Select(restarted.Report)));
        AshaReport next = new(5, 1, 0.58);
        Assert.Equal(live.Report(next), restarted.Report(next));
        Assert.Equal(AshaAction.Stop, live.Report(new AshaReport(6, 1, 0.58)).Action);
    }

    [Fact]
    public void A_value_that_is_not_a_number_stops_the_trial_and_is_not_recorded()
    {
        var asha = new AshaScheduler(new AshaOptions(1, 9, 3), "eval_loss", false);
        Assert.Equal(new AshaDecision(Stop, "asha: eval_loss is not a number after 1 evaluation: stop"), asha.Report(0, 1, double.NaN));
        Assert.Empty(asha.RecordedAt(0));
        Assert.Equal(Go, asha.Report(1, 1, 0.7).Action);
    }

    [Theory]
    [InlineData(new[] { 0.5, 0.6 }, 0.5666666666666667)]
    [InlineData(new[] { 0.7, 0.65 }, 0.6833333333333333)]
    [InlineData(new[] { -0.5, -0.4 }, -0.43333333333333335)]
    [InlineData(new[] { 0.3, 0.1, 0.2 }, 0.23333333333333334)]
    [InlineData(new[] { 1.0 }, 1.0)]
    [InlineData(new[] { 0.8123, 0.8456, 0.8012, 0.8391, 0.8290, 0.8333, 0.8101 }, 0.8333)]
    // numpy's lerp computes from the upper neighbour past the middle: a naive a + (b - a) t differs in the last bit here.
    [InlineData(new[] { 0.025, 0.541 }, 0.3690000000000001)]
    [InlineData(new[] { 0.186, 0.993 }, 0.7240000000000001)]
    public void Cutoffs_equal_numpys_percentile_to_the_last_bit(double[] values, double expected)
    {
        Assert.Equal(expected, Percentile.Of(values, (1 - 1.0 / 3) * 100));
    }

    [Fact]
    public void Percentiles_skip_values_that_are_not_numbers_as_nanpercentile_does()
    {
        Assert.Equal(0.2, Percentile.Of([0.1, double.NaN, 0.3], 50));
        Assert.Equal(0.905, Percentile.Of([0.91, 0.87, 0.905, 0.88, 0.9], 75));
        Assert.True(double.IsNaN(Percentile.Of([double.NaN], 50)));
    }
}
