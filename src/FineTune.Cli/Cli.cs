using System.CommandLine;
using System.Text;
using FineTune.Core;
using static TorchSharp.torch;

namespace FineTune.Cli;

/// <summary>Exit codes and error reporting shared by every command: one line on stderr, never a stack trace for bad input.</summary>
public static class Cli
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int InvalidInput = 2;

    public static int Run(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"error: {OneLine(error.Message)}");
            Console.Error.WriteLine("Run 'finetune --help' for usage.");
            return InvalidInput;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsInvalidInput(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return InvalidInput;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("FINETUNE_DEBUG") == "1") Console.Error.WriteLine(e);
            return Failed;
        }
    }

    static string OneLine(string message) =>
        string.Join(' ', message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    static bool IsInvalidInput(Exception e) =>
        e is InvalidInputException or FileNotFoundException or DirectoryNotFoundException or DecoderFallbackException;

    /// <summary>--threads N sets TorchSharp's intra-op threads (so workers sharing a machine do not oversubscribe it).</summary>
    public static void ApplyThreads(int? threads)
    {
        if (threads is null) return;
        if (threads < 1) throw new InvalidInputException($"--threads must be at least 1, got {threads}");
        set_num_threads(threads.Value);
    }
}
