using FineTune.Core.Sweeps;

namespace FineTune.Core.Tests.Sweeps;

public class GridAndRandomSamplerTests
{
    static readonly SearchDimension BatchSize = new("per_device_train_batch_size", Distribution.Choice, 0, 0, ["8", "16"]);
    static readonly SearchDimension Epochs = new("num_train_epochs", Distribution.Int, 1, 3, []);
    static readonly SearchDimension LearningRate = new("learning_rate", Distribution.LogUniform, 1e-5, 1e-3, []);
    static readonly SearchDimension Warmup = new("warmup_ratio", Distribution.Uniform, 0, 0.2, []);

    [Fact]
    public void A_grid_visits_the_cartesian_product_with_the_last_dimension_fastest_then_stops()
    {
        var grid = new GridSampler([BatchSize, Epochs]);
        Assert.Equal(6, grid.Size);
        Assert.Equal(
            ["per_device_train_batch_size=8 num_train_epochs=1", "per_device_train_batch_size=8 num_train_epochs=2", "per_device_train_batch_size=8 num_train_epochs=3",
             "per_device_train_batch_size=16 num_train_epochs=1", "per_device_train_batch_size=16 num_train_epochs=2", "per_device_train_batch_size=16 num_train_epochs=3"],
            Enumerable.Range(0, 6).Select(i => grid.Next(i, []).ToString()));
        Assert.Throws<ArgumentOutOfRangeException>(() => grid.Next(6, []));
        Assert.Throws<ArgumentException>(() => new GridSampler([BatchSize, LearningRate]));
    }

    [Fact]
    public void Random_draws_depend_only_on_the_seed_and_the_trial_index()
    {
        var space = new[] { LearningRate, BatchSize, Epochs, Warmup };
        var first = new RandomSampler(space, 42);
        var again = new RandomSampler(space, 42);
        var history = new[] { new TrialOutcome(0, first.Next(0, []), 0.9, 3, false) };
        Assert.Equal(first.Next(5, []), again.Next(5, history));
        Assert.NotEqual(first.Next(5, []), first.Next(6, []));
        Assert.NotEqual(first.Next(5, []), new RandomSampler(space, 43).Next(5, []));
        // Pinned: the draws must not change between builds, or a restarted coordinator would run different trials.
        Assert.Equal("learning_rate=2.3195194519327536E-05 per_device_train_batch_size=8 num_train_epochs=3 warmup_ratio=0.14047196864676595", first.Next(0, []).ToString());
    }

    [Fact]
    public void Random_draws_cover_each_distribution_as_it_says()
    {
        var sampler = new RandomSampler([LearningRate, BatchSize, Epochs, Warmup], 7);
        var configs = Enumerable.Range(0, 2000).Select(i => sampler.Next(i, [])).ToArray();
        var rates = configs.Select(c => double.Parse(c["learning_rate"]!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.All(rates, r => Assert.InRange(r, 1e-5, 1e-3));
        // Log-uniform: about half fall below the geometric middle 1e-4 (uniform would put 9 % there).
        Assert.InRange(rates.Count(r => r < 1e-4) / 2000.0, 0.45, 0.55);
        Assert.Equal(["1", "2", "3"], configs.Select(c => c["num_train_epochs"]).Distinct().Order());
        Assert.Equal(["16", "8"], configs.Select(c => c["per_device_train_batch_size"]).Distinct().Order());
        var warmups = configs.Select(c => double.Parse(c["warmup_ratio"]!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.All(warmups, w => Assert.InRange(w, 0, 0.2));
        Assert.InRange(warmups.Count(w => w < 0.1) / 2000.0, 0.45, 0.55);
    }
}
