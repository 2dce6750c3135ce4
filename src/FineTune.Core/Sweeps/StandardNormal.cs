namespace FineTune.Core.Sweeps;

/// <summary>
/// The standard normal distribution's functions that the Parzen estimators need (.NET has no erf): the CDF from a
/// Chebyshev-fitted erfc (Numerical Recipes' erfcc, fractional error below 1.2e-7 everywhere, no cancellation in the
/// tails) and its inverse (Acklam's rational approximation refined by one Halley step).
/// </summary>
static class StandardNormal
{
    const double Sqrt2 = 1.4142135623730951;
    static readonly double LogSqrt2Pi = 0.5 * Math.Log(2 * Math.PI);

    public static double LogPdf(double z) => -0.5 * z * z - LogSqrt2Pi;

    /// <summary>P(Z &lt;= z).</summary>
    public static double Cdf(double z) => 0.5 * Erfc(-z / Sqrt2);

    /// <summary>P(Z &gt; z), accurate where Cdf(z) rounds to 1.</summary>
    public static double UpperTail(double z) => 0.5 * Erfc(z / Sqrt2);

    /// <summary>P(lo &lt;= Z &lt;= hi), computed on the side of 0 where neither term rounds to 1.</summary>
    public static double Mass(double lo, double hi) =>
        lo >= 0 ? UpperTail(lo) - UpperTail(hi)
        : hi <= 0 ? Cdf(hi) - Cdf(lo)
        : 1 - Cdf(lo) - UpperTail(hi);

    static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /// <summary>The z with Cdf(z) = p, for p in (0, 1).</summary>
    public static double Quantile(double p)
    {
        if (p <= 0) return double.NegativeInfinity;
        if (p >= 1) return double.PositiveInfinity;
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        double x;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        else if (p <= 1 - low)
        {
            var q = p - 0.5;
            var r = q * q;
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        }
        else
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        // One Halley step against the CDF above brings the approximation to that CDF's own accuracy.
        var e = Cdf(x) - p;
        var u = e * Math.Sqrt(2 * Math.PI) * Math.Exp(x * x / 2);
        return x - u / (1 + x * u / 2);
    }
}
