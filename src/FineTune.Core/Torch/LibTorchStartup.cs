using System.Runtime.InteropServices;

namespace FineTune.Core.Torch;

/// <summary>What a process runs on: the build's own libtorch or an external one, or why it refused to start.</summary>
public sealed record LibTorchState(string Backend, ExternalLibTorch? External, string? Refusal)
{
    public bool Refused => Refusal is not null;

    /// <summary>The one line a program reports at start: the refusal, the external libtorch with its symbol check, or
    /// "libtorch 2.10.0 bundled with this build (cpu) in DIR".</summary>
    public override string ToString() => Refusal ?? External?.ToString()
        ?? $"libtorch {TorchBuild.BuiltAgainst} bundled with this build ({Backend}) in {TorchBuild.NativeFolder ?? AppContext.BaseDirectory}";
}

/// <summary>
/// Called first thing by every program that uses torch (the finetune CLI, the worker), before anything touches
/// <c>TorchSharp.torch</c>. In an external build it loads the libtorch FINETUNE_LIBTORCH names by full path, in
/// dependency order: TorchSharp then loads its own native library by name, and the loader finds libtorch already
/// there (TorchSharp's DllImport resolver hooks do not reach libLibTorchSharp.so's own dependencies; this does).
/// </summary>
public static class LibTorchStartup
{
    static readonly Lock Gate = new();
    static LibTorchState? current;

    /// <summary>The state after <see cref="Prepare"/> (null before).</summary>
    public static LibTorchState? Current => current;

    /// <summary>Decides, checks and loads once per process; never throws: a refusal is in the state's
    /// <see cref="LibTorchState.Refusal"/> (the program prints it and exits with code 2).</summary>
    public static LibTorchState Prepare()
    {
        lock (Gate)
        {
            return current ??= Load(TorchBuild.Backend, Environment.GetEnvironmentVariable(LibTorchLocation.Variable));
        }
    }

    static LibTorchState Load(string backend, string? given)
    {
        try
        {
            var external = LibTorchLocation.Resolve(backend, given, TorchBuild.TorchSharpNative);
            if (external is not null)
            {
                // What Python's torch loads first: its dependencies are the CUDA runtime libraries of the nvidia-*
                // wheels, found through its RUNPATH. Best effort, as in Python: a real problem shows in libtorch_cuda.so.
                var globalDeps = Path.Combine(external.Folder, "libtorch_global_deps.so");
                if (File.Exists(globalDeps)) NativeLibrary.TryLoad(globalDeps, out _);
                foreach (var library in external.Libraries) LoadLibrary(external, library);
            }
            return new LibTorchState(backend, external, null);
        }
        catch (InvalidInputException e)
        {
            return new LibTorchState(backend, null, e.Message);
        }
    }

    static void LoadLibrary(ExternalLibTorch external, string path)
    {
        try
        {
            NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            // .NET's message ends with the loader's own reason ("libcudart.so.13: cannot open shared object file").
            var reason = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
            throw LibTorchLocation.Refused(external.Given, $"cannot load {Path.GetFileName(path)} from {external.Folder}: {ErrorText.FirstLine(reason)}");
        }
    }
}
