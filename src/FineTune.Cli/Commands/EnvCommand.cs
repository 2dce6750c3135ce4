using System.CommandLine;
using FineTune.Core.Torch;
using static TorchSharp.torch;

namespace FineTune.Cli.Commands;

/// <summary>
/// finetune env [--json]: what this program runs on: the build's TorchBackend, the libtorch (folder, version, where it
/// came from), the symbol check of an external one, CUDA availability and device count. Exit code 2 when the libtorch
/// is refused (the reason is in the output), so scripts such as a GPU check can stop there.
/// </summary>
public static class EnvCommand
{
    sealed record EnvOutput(
        string Backend, string TorchsharpVersion, string BuiltAgainst, string? LibtorchSource, string? LibtorchFolder, string? LibtorchVersion,
        int? SymbolsNeeded, int? SymbolsFound, string[] SymbolsMissing, string? SymbolsNotChecked,
        bool? CudaAvailable, int? CudaDeviceCount, int? Threads, string? Error);

    public static Command Create()
    {
        var json = CommonOptions.Json();
        var command = new Command("env", "Show the libtorch this program runs on (folder, version, symbol check) and the CUDA devices it sees") { json };
        command.SetAction(parse =>
        {
            var state = LibTorchStartup.Prepare(); // already done by Program; the same state
            var output = Describe(state);
            if (parse.GetValue(json))
            {
                Console.WriteLine(Json.Serialize(output));
                if (state.Refused) Console.Error.WriteLine($"error: {state.Refusal}"); // the text form says it on stdout
            }
            else Write(output);
            return state.Refused ? Cli.InvalidInput : Cli.Success;
        });
        return command;
    }

    static EnvOutput Describe(LibTorchState state)
    {
        var external = state.External;
        var symbols = external?.Symbols;
        bool? available = null;
        int? devices = null, threads = null;
        if (!state.Refused) // torch is safe to touch only once its libtorch is settled
        {
            available = cuda.is_available();
            devices = available == true ? cuda.device_count() : 0;
            threads = get_num_threads();
        }
        return new EnvOutput(
            state.Backend, TorchBuild.TorchSharpVersion, TorchBuild.BuiltAgainst,
            state.Refused ? null : external is null ? "bundled" : external.Given == "python" ? $"{LibTorchLocation.Variable}=python" : LibTorchLocation.Variable,
            state.Refused ? null : external?.Folder ?? TorchBuild.NativeFolder,
            state.Refused ? null : external?.Version ?? TorchBuild.BuiltAgainst,
            symbols?.Needed, symbols?.Found, symbols?.Missing.Select(s => SymbolNames.Readable(s.Name)).ToArray() ?? [],
            state.Refused ? null : external is null ? "bundled with this build" : external.SymbolsNotChecked,
            available, devices, threads, state.Refusal);
    }

    static void Write(EnvOutput o)
    {
        Line("build", $"-p:TorchBackend={o.Backend} (TorchSharp {o.TorchsharpVersion}, built against libtorch {o.BuiltAgainst})");
        if (o.Error is not null)
        {
            Line("libtorch", $"refused: {o.Error}");
            return;
        }
        Line("libtorch", $"{o.LibtorchVersion} from {o.LibtorchFolder} ({o.LibtorchSource})");
        Line("symbols", o.SymbolsNeeded is null ? $"not checked ({o.SymbolsNotChecked})" : $"{o.SymbolsFound} of {o.SymbolsNeeded} found");
        foreach (var missing in o.SymbolsMissing) Line("  missing", missing);
        Line("cuda", o.CudaAvailable == true ? $"available, {o.CudaDeviceCount} device(s)" : "not available");
        Line("threads", $"{o.Threads}");

        static void Line(string name, string value) => Console.WriteLine($"{name,-10}{value}");
    }
}
