namespace FineTune.Core.Sweeps;

/// <summary>
/// The samplers' random numbers: SplitMix64 (Steele, Lea and Flood), written out here rather than System.Random so a
/// stream is fixed by its seed on every runtime and version. Each stream is keyed by (sweep seed, trial index, stream
/// number): a trial's draws depend on nothing else, so a restarted coordinator draws them again.
/// </summary>
public struct SweepRandom
{
    ulong state;

    public SweepRandom(long seed, int trialIndex, int stream)
    {
        state = Mix((ulong)seed);
        state = Mix(state ^ (ulong)(uint)trialIndex);
        state = Mix(state ^ ((ulong)(uint)stream << 32));
    }

    /// <summary>The next number in [0, 1), with 53 random bits.</summary>
    public double NextDouble() => (NextBits() >> 11) * (1.0 / (1UL << 53));

    ulong NextBits()
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
