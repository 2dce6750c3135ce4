using System.Runtime.InteropServices;

namespace FineTune.Core.Torch;

/// <summary>
/// Keeps libtorch's large CPU buffers in the process instead of returning them to the kernel at every free. glibc serves
/// every allocation over its mmap threshold (at most 32 MB, however it adapts) with a fresh mmap and unmaps it on free,
/// so each training step's big temporaries (the word embeddings' dense gradient, AdamW's per-parameter temporaries:
/// tens of MB each) come back as new zero-filled pages: ~35,000 page faults per step of the default job, measured.
/// Raising the thresholds lets freed blocks be reused, as PyTorch's CPU tuning guides get with jemalloc or tcmalloc.
/// Linux with glibc only; FINETUNE_MALLOC_TUNING=0 turns it off (to compare).
/// </summary>
public static partial class NativeHeap
{
    public const string Variable = "FINETUNE_MALLOC_TUNING";

    // glibc's mallopt parameters (malloc.h).
    const int TrimThreshold = -1, MmapThreshold = -3;

    /// <summary>Blocks up to this size come from the heap and stay there after free (the heap's top is trimmed only
    /// beyond the same amount): larger than any per-step temporary of a BERT-base, far below the memory in use.</summary>
    public const int ThresholdBytes = 1 << 30;

    static bool applied;

    /// <summary>Applies the thresholds once, before libtorch allocates; false where it does not apply or is turned off.</summary>
    public static bool Tune()
    {
        if (applied) return true;
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) == "0") return false;
        try
        {
            applied = mallopt(MmapThreshold, ThresholdBytes) == 1 && mallopt(TrimThreshold, ThresholdBytes) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            applied = false; // not glibc (musl has no mallopt): nothing to tune
        }
        return applied;
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);
}
