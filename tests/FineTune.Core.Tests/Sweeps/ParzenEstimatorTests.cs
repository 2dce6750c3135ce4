using FineTune.Core.Sweeps;

namespace FineTune.Core.Tests.Sweeps;

public class ParzenEstimatorTests
{
    [Theory]
    [InlineData(1.96, 0.9750021048517795)]
    [InlineData(0.0, 0.5)]
    [InlineData(-3.0, 0.0013498980316301)]
    [InlineData(8.0, 0.9999999999999993)]
    public void The_normal_cdf_and_its_inverse_are_accurate(double z, double cdf)
    {
        Assert.Equal(cdf, StandardNormal.Cdf(z), 1e-7);
        if (z < 5) Assert.Equal(z, StandardNormal.Quantile(cdf), 1e-6);
        // The tail beyond 8 is not lost to rounding: 6.22e-16.
        Assert.Equal(6.22096057427178e-16, StandardNormal.UpperTail(8.0), 1e-21);
    }

    [Fact]
    public void Each_estimator_is_a_distribution_over_its_dimension()
    {
        var uniform = new SearchDimension("warmup_ratio", Distribution.Uniform, 0, 0.2, []);
        var logUniform = new SearchDimension("learning_rate", Distribution.LogUniform, 1e-5, 1e-2, []);
        var integers = new SearchDimension("num_train_epochs", Distribution.Int, 1, 5, []);
        var choice = new SearchDimension("per_device_train_batch_size", Distribution.Choice, 0, 0, ["8", "16", "32"]);

        // Densities integrate to 1 over the range (in log space for loguniform); masses sum to 1.
        Assert.Equal(1, Integrate(new ParzenEstimator(uniform, [0.01, 0.05, 0.05, 0.19]), 0, 0.2, x => x), 3);
        Assert.Equal(1, Integrate(new ParzenEstimator(logUniform, [2e-5, 1e-3]), Math.Log(1e-5), Math.Log(1e-2), Math.Exp), 3);
        Assert.Equal(1, Enumerable.Range(1, 5).Sum(i => Math.Exp(new ParzenEstimator(integers, [2, 2, 5]).LogPdf(i))), 9);
        Assert.Equal(1, Enumerable.Range(0, 3).Sum(i => Math.Exp(new ParzenEstimator(choice, [1, 1]).LogPdf(i))), 12);
        // With no observations only the prior remains: uniform choices.
        Assert.Equal(Math.Log(1.0 / 3), new ParzenEstimator(choice, []).LogPdf(2), 12);
        // Two of two observations on choice 1: weights (1, 1, prior 1) / 3, rows (1/3 + 1 on 1) / 2: p(1) = 2/3 (2/3) + 1/9.
        Assert.Equal(Math.Log(2.0 / 3 * 2 / 3 + 1.0 / 9), new ParzenEstimator(choice, [1, 1]).LogPdf(1), 12);
    }

    [Fact]
    public void Samples_stay_in_range_and_follow_the_observations()
    {
        var dimension = new SearchDimension("learning_rate", Distribution.LogUniform, 1e-5, 1e-2, []);
        var estimator = new ParzenEstimator(dimension, [1e-4, 1.1e-4, 0.9e-4, 1.05e-4]);
        var random = new SweepRandom(1, 0, 0);
        var samples = Enumerable.Range(0, 1000).Select(_ => estimator.Sample(ref random)).ToArray();
        Assert.All(samples, s => Assert.InRange(s, 1e-5, 1e-2));
        // Four of five kernels sit at 1e-4 (the fifth is the wide prior): most samples are within a decade of it.
        Assert.InRange(samples.Count(s => s > 1e-5 * 3 && s < 1e-3 / 3) / 1000.0, 0.6, 1.0);

        var integers = new ParzenEstimator(new SearchDimension("num_train_epochs", Distribution.Int, 1, 5, []), [5, 5, 5]);
        var ints = Enumerable.Range(0, 1000).Select(_ => integers.Sample(ref random)).ToArray();
        Assert.All(ints, i => Assert.True(i == Math.Floor(i) && i is >= 1 and <= 5));
        Assert.True(ints.Count(i => i == 5) > ints.Count(i => i == 1));
    }

    static double Integrate(ParzenEstimator estimator, double from, double to, Func<double, double> fromTransformed)
    {
        const int steps = 20000;
        var h = (to - from) / steps;
        return Enumerable.Range(0, steps).Sum(i => Math.Exp(estimator.LogPdf(fromTransformed(from + (i + 0.5) * h)))) * h;
    }
}
