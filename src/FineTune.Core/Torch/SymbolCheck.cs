namespace FineTune.Core.Torch;

/// <summary>
/// Whether a libtorch folder exports every C++ symbol TorchSharp's native library (libLibTorchSharp.so) imports.
/// TorchSharp 0.107 is built against libtorch 2.10; another version may lack some (an op whose signature changed).
/// What a missing symbol costs decides the verdict:
/// <list type="bullet">
/// <item>bound at load (data, vtables, functions a vtable points to): libLibTorchSharp.so would not load at all;</item>
/// <item>in c10 (tensors, storage, devices, errors: the core every op goes through);</item>
/// <item>any other function (mostly <c>at::_ops::NAME::call</c>): bound on first call, so the process aborts
/// ("undefined symbol") only if a job reaches that op. A warning, not a refusal.</item>
/// </list>
/// </summary>
public sealed record SymbolCheck(int Needed, IReadOnlyList<DynamicSymbol> Missing)
{
    /// <summary>How many missing names a message lists.</summary>
    const int Listed = 5;

    public int Found => Needed - Missing.Count;

    /// <summary>The missing symbols that make this libtorch unusable (see the class comment).</summary>
    public IReadOnlyList<DynamicSymbol> Core => Missing.Where(IsCore).ToList();

    /// <summary>The missing symbols that fail only when an op that uses them is first called.</summary>
    public IReadOnlyList<DynamicSymbol> Lazy => Missing.Where(s => !IsCore(s)).ToList();

    public static bool IsCore(DynamicSymbol s) => s.BoundAtLoad || s.Kind != SymbolKind.Function
        || SymbolNames.Readable(s.Name).StartsWith("c10::", StringComparison.Ordinal);

    /// <summary>
    /// Compares what <paramref name="importer"/> imports from libtorch (undefined, unversioned, non-weak symbols: the
    /// system libraries' symbols carry versions, optional ones are weak) with what <paramref name="exports"/> holds.
    /// </summary>
    public static SymbolCheck Compare(IEnumerable<DynamicSymbol> importer, IReadOnlySet<string> exports)
    {
        var needed = importer.Where(s => !s.Defined && !s.Weak && !s.Versioned && s.Name.Length > 0)
            .DistinctBy(s => s.Name).ToList();
        return new SymbolCheck(needed.Count, needed.Where(s => !exports.Contains(s.Name)).ToList());
    }

    /// <summary>"1204 of 1204 found", or with the missing ones counted by kind and a few named.</summary>
    public override string ToString()
    {
        if (Missing.Count == 0) return $"{Found} of {Needed} found";
        var core = Core;
        var lazy = Lazy;
        var parts = new List<string>();
        if (core.Count > 0) parts.Add($"{core.Count} needed at load or by every op: {Names(core)}");
        if (lazy.Count > 0) parts.Add($"{lazy.Count} bound on first call (a job that reaches one aborts): {Names(lazy)}");
        return $"{Found} of {Needed} found; missing {string.Join("; ", parts)}";
    }

    static string Names(IReadOnlyList<DynamicSymbol> symbols) =>
        string.Join(", ", symbols.Take(Listed).Select(s => SymbolNames.Readable(s.Name)))
        + (symbols.Count > Listed ? $" and {symbols.Count - Listed} more" : "");
}
