using System.Numerics;
using System.Runtime.CompilerServices;

namespace FineTune.Core.Training;

/// <summary>
/// AdamW's update on CPU as one pass over the flat buffers (PyTorch's fused=True does the same): each element's
/// weight, gradient and two moments are read once and written once. The same step as libtorch calls (clipping's mul_,
/// decay, lerp_, mul_/addcmul_, sqrt/div_/add_, addcdiv_) costs about ten passes over 91 MB buffers for the default
/// model, and on a CPU the optimizer is memory-bound: this one pass is what makes it cheap there. Same arithmetic,
/// same order.
/// </summary>
static unsafe class AdamWCpuKernel
{
    /// <summary>Elements per parallel block: big enough to amortise scheduling, small enough to share out.</summary>
    const int Block = 1 << 16;

    /// <summary>The step's constants, in float as libtorch's float kernels use them.</summary>
    public readonly record struct Constants(float GradientScale, float DecayFactor, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
        float Correction2, float Eps, float NegativeStepSize);

    /// <summary>Contiguous runs of elements that all decay or all do not (adjacent parameters merged).</summary>
    public readonly record struct Segment(long Start, long Count, bool Decay);

    /// <summary>The segments cut into blocks of at most <see cref="Block"/> elements: the units shared out to threads (made once).</summary>
    public static Segment[] Blocks(IEnumerable<Segment> segments) =>
        [.. segments.SelectMany(s => Enumerable.Range(0, (int)((s.Count + Block - 1) / Block))
            .Select(i => new Segment(s.Start + (long)i * Block, Math.Min(Block, s.Count - (long)i * Block), s.Decay)))];

    public static void Update(float* p, float* g, float* m, float* v, Segment[] blocks, Constants c, int threads)
    {
        nint pp = (nint)p, gp = (nint)g, mp = (nint)m, vp = (nint)v;
        Parallel.For(0, blocks.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, i =>
        {
            var b = blocks[i];
            Range((float*)pp + b.Start, (float*)gp + b.Start, (float*)mp + b.Start, (float*)vp + b.Start, (int)b.Count, b.Decay, c);
        });
    }

    static void Range(float* p, float* g, float* m, float* v, int count, bool decay, in Constants c)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var gradientScale = new Vector<float>(c.GradientScale);
            var decayFactor = new Vector<float>(c.DecayFactor);
            var w = new Vector<float>(c.OneMinusBeta1);
            var beta2 = new Vector<float>(c.Beta2);
            var oneMinusBeta2 = new Vector<float>(c.OneMinusBeta2);
            var correction2 = new Vector<float>(c.Correction2);
            var eps = new Vector<float>(c.Eps);
            var step = new Vector<float>(c.NegativeStepSize);
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                var gi = Load(g + i) * gradientScale; // clipping, as clip_grad_norm_'s mul_ would have done in place
                var pi = Load(p + i);
                if (decay) pi *= decayFactor;
                var mi = Load(m + i);
                mi += w * (gi - mi);
                var vi = Load(v + i) * beta2 + oneMinusBeta2 * gi * gi;
                var denom = Vector.SquareRoot(vi) / correction2 + eps;
                pi += step * (mi / denom);
                Unsafe.WriteUnaligned(p + i, pi);
                Unsafe.WriteUnaligned(m + i, mi);
                Unsafe.WriteUnaligned(v + i, vi);
            }
        }
        for (; i < count; i++)
        {
            float gi = g[i] * c.GradientScale, pi = decay ? p[i] * c.DecayFactor : p[i];
            float mi = m[i] + c.OneMinusBeta1 * (gi - m[i]);
            float vi = v[i] * c.Beta2 + c.OneMinusBeta2 * gi * gi;
            float denom = MathF.Sqrt(vi) / c.Correction2 + c.Eps;
            p[i] = pi + c.NegativeStepSize * (mi / denom);
            m[i] = mi;
            v[i] = vi;
        }
    }

    static Vector<float> Load(float* at) => Unsafe.ReadUnaligned<Vector<float>>(at);
}
