using System.Globalization;
using FineTune.Core.Sweeps;

namespace FineTune.Core.Tests.Sweeps;

public class TpeSamplerTests
{
    static readonly SearchDimension LearningRate = new("learning_rate", Distribution.LogUniform, 1e-5, 1e-2, []);
    static readonly SearchDimension BatchSize = new("per_device_train_batch_size", Distribution.Choice, 0, 0, ["8", "16", "32"]);
    static readonly SearchDimension Epochs = new("num_train_epochs", Distribution.Int, 1, 5, []);
    static readonly SearchDimension[] Space = [LearningRate, BatchSize, Epochs];

    static double Lr(TrialConfig c) => double.Parse(c["learning_rate"]!, CultureInfo.InvariantCulture);

    /// <summary>A clear objective: best at learning rate 10^-3.5, batch 16, 4 epochs.</summary>
    static double Accuracy(TrialConfig c) =>
        0.9 - 0.1 * Math.Pow(Math.Log10(Lr(c)) + 3.5, 2) - (c["per_device_train_batch_size"] == "16" ? 0 : 0.05)
        - 0.02 * Math.Abs(int.Parse(c["num_train_epochs"]!, CultureInfo.InvariantCulture) - 4);

    /// <summary>30 random trials (the seed's own startup draws) scored by <paramref name="score"/>.</summary>
    static TrialOutcome[] History(Func<TrialConfig, double> score)
    {
        var random = new RandomSampler(Space, 1);
        return [.. Enumerable.Range(0, 30).Select(i => random.Next(i, [])).Select((c, i) => new TrialOutcome(i, c, score(c), 3, false))];
    }

    static bool InGoodRegion(TrialConfig c) => Math.Abs(Math.Log10(Lr(c)) + 3.5) < 0.4;

    [Fact]
    public void Gamma_is_optunas_default()
    {
        Assert.Equal([1, 1, 2, 3, 10, 25, 25], new[] { 1, 10, 11, 21, 100, 250, 1000 }.Select(TpeSampler.Gamma));
    }

    [Fact]
    public void The_first_ten_outcomes_give_the_random_samplers_draws()
    {
        var tpe = new TpeSampler(Space, 5, greaterIsBetter: true);
        var random = new RandomSampler(Space, 5);
        var nine = History(Accuracy)[..9];
        Assert.Equal(random.Next(9, []), tpe.Next(9, nine));
        Assert.NotEqual(random.Next(10, []), tpe.Next(10, History(Accuracy)[..10]));
    }

    [Fact]
    public void After_the_startup_trials_it_picks_in_the_good_region_of_a_clear_objective()
    {
        var tpe = new TpeSampler(Space, 1, greaterIsBetter: true);
        var history = History(Accuracy);
        var picks = Enumerable.Range(30, 20).Select(i => tpe.Next(i, history)).ToArray();
        var random = Enumerable.Range(30, 20).Select(i => new RandomSampler(Space, 1).Next(i, [])).ToArray();
        Assert.True(picks.Count(InGoodRegion) >= 12, $"{picks.Count(InGoodRegion)} of 20 TPE picks in the good region: {string.Join("; ", picks.Select(p => p.ToString()))}");
        Assert.True(random.Count(InGoodRegion) <= 6, $"the region is not a trivially large one: random got {random.Count(InGoodRegion)} of 20");
        Assert.True(picks.Count(c => c["per_device_train_batch_size"] == "16") >= 14);
        Assert.True(picks.Average(Accuracy) > random.Average(Accuracy) + 0.05, $"TPE's picks average {picks.Average(Accuracy):F3}, random draws {random.Average(Accuracy):F3}");
    }

    [Fact]
    public void For_a_loss_the_good_region_is_the_lowest_and_the_direction_matters()
    {
        var history = History(c => 1 - Accuracy(c));
        var minimizing = new TpeSampler(Space, 1, greaterIsBetter: false);
        var maximizing = new TpeSampler(Space, 1, greaterIsBetter: true);
        var right = Enumerable.Range(30, 20).Count(i => InGoodRegion(minimizing.Next(i, history)));
        var wrong = Enumerable.Range(30, 20).Count(i => InGoodRegion(maximizing.Next(i, history)));
        Assert.True(right >= 12, $"minimizing a loss: {right} of 20 picks in the good region");
        Assert.True(wrong <= 3, $"maximizing the loss instead: {wrong} of 20 picks in the good region");
    }

    [Fact]
    public void Trials_stopped_early_rank_below_completed_ones_whatever_their_value()
    {
        // Ten completed trials near 1e-4 score low; ten stopped after one evaluation near 1e-2 report high values.
        // Optuna ranks every completed trial first, so the good group is completed ones near 1e-4.
        var outcomes = Enumerable.Range(0, 20).Select(i => i < 10
            ? new TrialOutcome(i, Config(1e-4 * (1 + 0.01 * i), "8", 3), 0.5 + 0.001 * i, 3, StoppedEarly: false)
            : new TrialOutcome(i, Config(9e-3 * (1 + 0.01 * i), "32", 1), 0.99, 1, StoppedEarly: true)).ToArray();
        var tpe = new TpeSampler(Space, 3, greaterIsBetter: true);
        var picks = Enumerable.Range(20, 10).Select(i => tpe.Next(i, outcomes)).ToArray();
        Assert.True(picks.Count(p => Lr(p) < 1e-3) >= 8, string.Join("; ", picks.Select(p => p.ToString())));
    }

    [Fact]
    public void A_restart_that_replays_the_outcomes_in_any_order_gets_the_same_next_config()
    {
        var history = History(Accuracy);
        var first = new TpeSampler(Space, 9, greaterIsBetter: true).Next(30, history);
        var shuffled = history.OrderBy(t => (t.TrialIndex * 7919) % 31).ToArray();
        Assert.Equal(first, new TpeSampler(Space, 9, greaterIsBetter: true).Next(30, shuffled));
        Assert.NotEqual(first, new TpeSampler(Space, 9, greaterIsBetter: true).Next(31, history));
        // Pinned: a new build must replay a sweep's record to the same configs.
        Assert.Equal("learning_rate=0.0004044780135916793 per_device_train_batch_size=16 num_train_epochs=3", first.ToString());
    }

    static TrialConfig Config(double lr, string batch, int epochs) => new([
        KeyValuePair.Create("learning_rate", LearningRate.Number(lr)),
        KeyValuePair.Create("per_device_train_batch_size", batch),
        KeyValuePair.Create("num_train_epochs", epochs.ToString(CultureInfo.InvariantCulture))]);
}
