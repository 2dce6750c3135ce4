namespace FineTune.Core.Torch;

/// <summary>An external libtorch, checked and ready to load: its folder, version, libraries in load order, symbol check.</summary>
/// <param name="Given">what FINETUNE_LIBTORCH said (a folder, or python), for messages</param>
/// <param name="Symbols">null when the check could not run (<paramref name="SymbolsNotChecked"/> says why)</param>
public sealed record ExternalLibTorch(string Given, string Folder, string Version, IReadOnlyList<string> Libraries, SymbolCheck? Symbols, string? SymbolsNotChecked)
{
    /// <summary>"libtorch 2.10.0 from /opt/torch/lib; symbols: 1204 of 1204 found"</summary>
    public override string ToString() => $"libtorch {Version} from {Folder}; symbols: {Symbols?.ToString() ?? $"not checked ({SymbolsNotChecked})"}";
}

/// <summary>
/// Where a process's libtorch comes from: the build's own (cpu, cuda), or, in a build made with
/// <c>-p:TorchBackend=external</c>, the folder <c>FINETUNE_LIBTORCH</c> names (the torch/lib folder of a PyTorch
/// install; <c>python</c> finds it with <c>python3 -c 'import torch'</c>). Every refusal is an
/// <see cref="InvalidInputException"/> with one line that names FINETUNE_LIBTORCH and what it was given.
/// This decides and checks; <see cref="LibTorchStartup"/> loads.
/// </summary>
public static class LibTorchLocation
{
    public const string Variable = "FINETUNE_LIBTORCH";

    /// <summary>The libraries TorchSharp's native library links against, in dependency order (each after what it needs);
    /// the CUDA ones only where the folder has them.</summary>
    static readonly string[] LoadOrder = ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];
    static readonly string[] Required = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];

    const string Hint = "give the torch/lib folder of a PyTorch install (or a libtorch lib folder), or python to find it with python3 -c 'import torch'";

    /// <summary>
    /// Null in a build that carries its own libtorch (and FINETUNE_LIBTORCH is unset); else the external libtorch,
    /// checked: the folder exists, holds libtorch, and exports what <paramref name="torchSharpNative"/> imports.
    /// </summary>
    /// <param name="backend">the build's TorchBackend (cpu, cuda, external)</param>
    /// <param name="given">FINETUNE_LIBTORCH's value (null or empty: unset)</param>
    /// <param name="torchSharpNative">libLibTorchSharp.so, whose imports are checked (null: the check is skipped)</param>
    /// <param name="python">finds a Python torch (tests pass a fake); default <see cref="PythonTorch.Find"/></param>
    public static ExternalLibTorch? Resolve(string backend, string? given, string? torchSharpNative, Func<(string Folder, string Version)>? python = null)
    {
        bool set = !string.IsNullOrWhiteSpace(given);
        if (backend != "external")
        {
            if (set) throw Refused(given!, $"this build carries its own libtorch (-p:TorchBackend={backend}), and two libtorch copies in one process crash: unset {Variable}, or use a build made with -p:TorchBackend=external");
            return null;
        }
        if (!set)
            throw new InvalidInputException($"{Variable} is not set: this build carries no libtorch (-p:TorchBackend=external); set {Variable}=DIR, the torch/lib folder of a PyTorch install (or a libtorch lib folder), or {Variable}=python to use the torch python3 imports");

        string folder, version;
        if (given!.Trim() == "python")
        {
            (folder, version) = (python ?? (() => PythonTorch.Find()))();
            folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
            if (!Directory.Exists(folder)) throw Refused(given, $"python3 names {folder}, which does not exist");
        }
        else
        {
            folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(given));
            if (!Directory.Exists(folder)) throw Refused(given, $"no such folder; {Hint}");
            version = LibTorchVersion.Read(folder);
        }
        var absent = Required.Where(f => !File.Exists(Path.Combine(folder, f))).ToList();
        if (absent.Count > 0)
        {
            var inLib = Path.Combine(folder, "lib");
            var guess = File.Exists(Path.Combine(inLib, "libtorch.so")) ? $" (did you mean {inLib}?)" : "";
            throw Refused(given, $"no libtorch in {folder}: {string.Join(", ", absent)} missing{guess}; {Hint}");
        }
        var libraries = LoadOrder.Select(f => Path.Combine(folder, f)).Where(File.Exists).ToList();

        var (symbols, notChecked) = CheckSymbols(torchSharpNative, libraries);
        if (symbols?.Core.Count > 0)
            throw Refused(given, $"libtorch {version} lacks what TorchSharp {TorchBuild.TorchSharpVersion} needs (it is built against libtorch {TorchBuild.BuiltAgainst}): symbols {symbols}");
        return new ExternalLibTorch(given.Trim(), folder, version, libraries, symbols, notChecked);
    }

    // The comparison, or why it could not run (never a refusal: loading will say if the libraries are unusable).
    static (SymbolCheck?, string?) CheckSymbols(string? torchSharpNative, IReadOnlyList<string> libraries)
    {
        if (torchSharpNative is null || !File.Exists(torchSharpNative)) return (null, "libLibTorchSharp.so not found beside the program");
        try
        {
            return (SymbolCheck.Compare(ElfDynamicSymbols.Read(torchSharpNative), ElfDynamicSymbols.Exports(libraries)), null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return (null, ErrorText.FirstLine(e.Message));
        }
    }

    internal static InvalidInputException Refused(string given, string why) => new($"{Variable}={given.Trim()}: {why}");
}
