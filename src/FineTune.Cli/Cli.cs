using System.CommandLine;
using System.Text;
using FineTune.Core;
using Grpc.Core;
using static TorchSharp.torch;

namespace FineTune.Cli;

/// <summary>Exit codes and error reporting shared by every command: one line on stderr, never a stack trace for bad input.</summary>
public static class Cli
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int InvalidInput = 2;
    /// <summary>watch, submit --wait: the coordinator stopped the job early (a sweep's poor trial): neither success nor failure.</summary>
    public const int Stopped = 3;

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
        catch (RpcException e)
        {
            Console.Error.WriteLine($"error: {Describe(e)}");
            if (Environment.GetEnvironmentVariable("FINETUNE_DEBUG") == "1") Console.Error.WriteLine(e);
            return e.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound ? InvalidInput : Failed;
        }
        catch (Exception e) when (Faults.IsBadRequest(e))
        {
            Console.Error.WriteLine($"error: {Faults.Unwrap(e).Message}");
            return InvalidInput;
        }
        catch (Exception e)
        {
            // One line (type and first line of the message): a native error's C++ stack trace only with FINETUNE_DEBUG=1.
            bool debug = Environment.GetEnvironmentVariable("FINETUNE_DEBUG") == "1";
            Console.Error.WriteLine($"error: {ErrorText.Summary(e)}");
            if (debug) Console.Error.WriteLine(e);
            else if (Faults.Unwrap(e).Message.Trim().Contains('\n')) Console.Error.WriteLine("  (the rest of the message: set FINETUNE_DEBUG=1)");
            return Failed;
        }
    }

    static string OneLine(string message) =>
        string.Join(' ', message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>
    /// A coordinator's error as one line: its own message for a bad request or an unknown job (exit code 2), the
    /// status and message otherwise (exit code 1), and for an unreachable coordinator, how to start one.
    /// </summary>
    public static string Describe(RpcException e)
    {
        var coordinator = e.Data["coordinator"] as string ?? "the configured address";
        var detail = OneLine(e.Status.Detail);
        return e.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.NotFound => detail,
            StatusCode.Unavailable => $"cannot reach the coordinator at {coordinator} (is it running? start it with `dotnet run --project src/FineTune.Coordinator -- --urls http://127.0.0.1:5100`)"
                + (Cause(e) is { Length: > 0 } cause ? $"\n  {cause}" : ""),
            StatusCode.Unauthenticated or StatusCode.PermissionDenied => $"the coordinator at {coordinator} refused the API key ({e.StatusCode}): {detail} (set --api-key or FINETUNE_API_KEY)",
            StatusCode.DeadlineExceeded => $"the coordinator at {coordinator} did not answer in time: {detail}",
            _ => $"{detail} ({e.StatusCode})",
        };
    }

    // The innermost reason an unreachable coordinator gives ("Connection refused (127.0.0.1:5100)"), else the status detail.
    static string Cause(RpcException e)
    {
        var inner = e.Status.DebugException;
        while (inner?.InnerException is not null) inner = inner.InnerException;
        return OneLine(inner?.Message ?? e.Status.Detail);
    }

    /// <summary>--threads N sets TorchSharp's intra-op threads (so workers sharing a machine do not oversubscribe it).</summary>
    public static void ApplyThreads(int? threads)
    {
        if (threads is null) return;
        if (threads < 1) throw new InvalidInputException($"--threads must be at least 1, got {threads}");
        set_num_threads(threads.Value);
    }
}
