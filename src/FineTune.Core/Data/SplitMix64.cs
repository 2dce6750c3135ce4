namespace FineTune.Core.Data;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, 2014; the seeder of Java's SplittableRandom and of xoshiro): a 64-bit
/// counter stepped by the golden ratio, then mixed. Tiny, fast, and fixed forever, unlike System.Random,
/// whose algorithm .NET does not promise to keep.
/// </summary>
internal struct SplitMix64(ulong seed)
{
    ulong _state = seed;

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A uniform integer in [0, bound): the high word of a 64x64-bit product (bias below 2^-32 for any int bound).</summary>
    public int NextBelow(int bound) => (int)Math.BigMul(Next(), (ulong)bound, out _);

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
