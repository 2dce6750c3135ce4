namespace FineTune.Core.Sweeps;

/// <summary>
/// Optuna's univariate Parzen estimator (optuna/samplers/_tpe/parzen_estimator.py, default parameters: prior weight 1,
/// magic clip on, endpoints off) for one dimension: a weighted mixture of one kernel per observation plus a prior kernel.
/// Numbers get truncated Gaussians on the dimension's range (in log space for loguniform; integers as the mass of
/// [x - 0.5, x + 0.5]); choices get a categorical per observation smoothed by the prior. Values are the dimension's
/// internal numbers (<see cref="SearchDimension.Internal"/>: a choice's index, a number itself).
/// </summary>
sealed class ParzenEstimator
{
    const double PriorWeight = 1.0;

    readonly SearchDimension dimension;
    readonly double[] weights;          // per kernel, summing to 1
    readonly double[] mus = [], sigmas = [], logMass = [];
    readonly double low, high;          // the kernels' range, transformed (log; widened by 0.5 for integers)
    readonly double[] choiceProbabilities = [];

    /// <param name="observations">the internal values of one group of trials, oldest first (the weights ramp by age).</param>
    public ParzenEstimator(SearchDimension dimension, IReadOnlyList<double> observations)
    {
        this.dimension = dimension;
        var n = observations.Count;
        weights = [.. ObservationWeights(n), PriorWeight];
        var total = weights.Sum();
        for (int i = 0; i < weights.Length; i++) weights[i] /= total;
        if (dimension.Distribution == Distribution.Choice)
        {
            choiceProbabilities = ChoiceProbabilities(dimension.Choices.Count, observations);
            return;
        }
        (low, high) = dimension.Distribution switch
        {
            Distribution.LogUniform => (Math.Log(dimension.Low), Math.Log(dimension.High)),
            Distribution.Int => (dimension.Low - 0.5, dimension.High + 0.5),
            _ => (dimension.Low, dimension.High),
        };
        var observed = observations.Select(Transform).ToArray();
        mus = [.. observed, 0.5 * (low + high)];
        sigmas = [.. Bandwidths(observed), high - low];
        logMass = [.. mus.Select((mu, k) => Math.Log(StandardNormal.Mass((low - mu) / sigmas[k], (high - mu) / sigmas[k])))];
    }

    double Transform(double x) => dimension.Distribution == Distribution.LogUniform ? Math.Log(x) : x;

    /// <summary>Optuna's default_weights: equal below 25 observations, else the oldest ramp up from 1/n and the newest 25 weigh 1.</summary>
    static double[] ObservationWeights(int n)
    {
        if (n < 25) return [.. Enumerable.Repeat(1.0, n)];
        var ramp = n - 25;
        return [.. Enumerable.Range(0, ramp).Select(i => ramp == 1 ? 1.0 / n : 1.0 / n + i * (1.0 - 1.0 / n) / (ramp - 1)), .. Enumerable.Repeat(1.0, 25)];
    }

    /// <summary>
    /// Optuna's bandwidth rule: each observation's sigma is the larger gap to its sorted neighbours (the prior's mean and
    /// the range's ends included; the two outermost take their inner gap), clipped to [range / min(100, n + 2), range].
    /// Ties keep observation order (a stable sort: numpy's argsort is not stable, so equal values may swap sigmas there).
    /// </summary>
    double[] Bandwidths(double[] observed)
    {
        var n = observed.Length;
        if (n == 0) return [];
        double[] withPrior = [.. observed, 0.5 * (low + high)];
        var order = Enumerable.Range(0, n + 1).OrderBy(i => withPrior[i]).ToArray();
        double[] points = [low, .. order.Select(i => withPrior[i]), high];
        var sorted = new double[n + 1];
        for (int i = 0; i <= n; i++) sorted[i] = Math.Max(points[i + 1] - points[i], points[i + 2] - points[i + 1]);
        sorted[0] = points[2] - points[1];
        sorted[n] = points[n + 1] - points[n];
        var sigmas = new double[n + 1];
        for (int i = 0; i <= n; i++) sigmas[order[i]] = sorted[i];
        var min = (high - low) / Math.Min(100.0, n + 2);
        return [.. sigmas.Take(n).Select(s => Math.Clamp(s, min, high - low))];
    }

    double[] ChoiceProbabilities(int choices, IReadOnlyList<double> observations)
    {
        // Each observation's row: prior_weight / kernels on every choice plus 1 on its own, normalised; the prior's row is
        // uniform. The mixture's probability of a choice is the weighted sum of the rows.
        var n = observations.Count;
        var share = PriorWeight / (n + 1);
        var p = new double[choices];
        for (int k = 0; k < n; k++)
            for (int c = 0; c < choices; c++) p[c] += weights[k] * (share + (c == (int)observations[k] ? 1 : 0)) / (choices * share + 1);
        for (int c = 0; c < choices; c++) p[c] += weights[n] / choices;
        return p;
    }

    /// <summary>One draw: a kernel by weight, then a value from it.</summary>
    public double Sample(ref SweepRandom random)
    {
        if (dimension.Distribution == Distribution.Choice) return Pick(choiceProbabilities, random.NextDouble());
        var k = Pick(weights, random.NextDouble());
        var (mu, sigma) = (mus[k], sigmas[k]);
        var lo = StandardNormal.Cdf((low - mu) / sigma);
        var hi = StandardNormal.Cdf((high - mu) / sigma);
        var x = Math.Clamp(mu + sigma * StandardNormal.Quantile(lo + random.NextDouble() * (hi - lo)), low, high);
        return dimension.Distribution switch
        {
            Distribution.LogUniform => Math.Clamp(Math.Exp(x), dimension.Low, dimension.High),
            Distribution.Int => Math.Clamp(Math.Round(x - dimension.Low) + dimension.Low, dimension.Low, dimension.High),
            _ => x,
        };
    }

    static int Pick(double[] probabilities, double u)
    {
        var sum = 0.0;
        for (int i = 0; i < probabilities.Length - 1; i++)
            if (u < (sum += probabilities[i])) return i;
        return probabilities.Length - 1;
    }

    /// <summary>The log density (log mass for integers and choices) of an internal value under the mixture. For
    /// loguniform it is the density of log x: the 1/x factor is the same in l and g, so it leaves l/g unchanged.</summary>
    public double LogPdf(double value)
    {
        if (dimension.Distribution == Distribution.Choice) return Math.Log(choiceProbabilities[(int)value]);
        var x = Transform(value);
        var terms = new double[mus.Length];
        for (int k = 0; k < mus.Length; k++)
        {
            var (mu, sigma) = (mus[k], sigmas[k]);
            var log = dimension.Distribution == Distribution.Int
                ? Math.Log(StandardNormal.Mass((x - 0.5 - mu) / sigma, (x + 0.5 - mu) / sigma))
                : StandardNormal.LogPdf((x - mu) / sigma) - Math.Log(sigma);
            terms[k] = Math.Log(weights[k]) + log - logMass[k];
        }
        var max = terms.Max();
        return double.IsNegativeInfinity(max) ? max : max + Math.Log(terms.Sum(t => Math.Exp(t - max)));
    }
}
