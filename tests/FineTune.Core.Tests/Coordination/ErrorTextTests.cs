using System.Reflection;
using System.Runtime.InteropServices;
using FineTune.Core.Collectives;
using FineTune.Core.Modeling;
using FineTune.Core.Tokenization;

namespace FineTune.Core.Tests.Coordination;

/// <summary>Errors leave a process as one readable line; which failures a restart may fix (faults) and which not (invalid input).</summary>
public class ErrorTextTests
{
    // The shape of a TorchSharp ExternalException's message: libtorch's check, its hint, then the whole C++ stack.
    const string NativeMessage =
        "Expected false to be true, but got false.  (Could this error message be improved? If so, please report an enhancement request to PyTorch.)\n"
        + "Exception raised from toFloat at /pytorch/c10/core/Scalar.h:140 (most recent call first):\n"
        + "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x96 (0x7f2a1c8b4446 in libc10.so)\n"
        + "frame #6: at::_ops::add_Tensor::redispatch(c10::DispatchKeySet, at::Tensor const&, at::Tensor const&, c10::Scalar const&) + 0xb8\n"
        + "frame #10: THSTensor_add + 0x4d (0x7f2a0c1b2f1d in libLibTorchSharp.so)\n";

    [Fact]
    public void A_native_error_becomes_its_type_and_first_line_without_the_stack_or_the_hint()
    {
        var summary = ErrorText.Summary(new ExternalException(NativeMessage));
        Assert.Equal("ExternalException: Expected false to be true, but got false.", summary);
        Assert.Equal("rank 1 (worker-1): ExternalException: Expected false to be true, but got false.", ErrorText.OfRank(1, "worker-1", summary));
        // Whoever sent it, the coordinator's line stays one line (an older worker sent the whole message).
        Assert.Equal("rank 0 (worker-0): ExternalException: Expected false to be true, but got false.", ErrorText.OfRank(0, "worker-0", $"ExternalException: {NativeMessage}"));
        Assert.Equal("rank 2: IOException: disk full", ErrorText.OfRank(2, null, "IOException: disk full"));
    }

    [Fact]
    public void Wrappers_are_looked_through_and_odd_messages_stay_one_short_line()
    {
        Assert.Equal("OutOfMemoryException: no room", ErrorText.Summary(new AggregateException(new TargetInvocationException(new OutOfMemoryException("no room")))));
        Assert.Equal("IOException: second line is the first with text", ErrorText.Summary(new IOException("\n  \r\n  second line is the first with text  \nthird")));
        Assert.Equal("InvalidOperationException", ErrorText.Summary(new InvalidOperationException(" ")));
        var longLine = ErrorText.FirstLine(new string('x', 1000));
        Assert.Equal(ErrorText.MaxLength, longLine.Length);
        Assert.EndsWith("...", longLine);
        Assert.Equal("a b", ErrorText.FirstLine("a\tb"));
    }

    [Fact]
    public void The_command_line_prints_one_line_for_a_native_error_and_the_rest_only_on_request()
    {
        var root = new System.CommandLine.RootCommand();
        var boom = new System.CommandLine.Command("boom");
        Func<System.CommandLine.ParseResult, int> fail = _ => throw new ExternalException(NativeMessage);
        boom.SetAction(fail);
        root.Subcommands.Add(boom);
        var before = Console.Error;
        var captured = new StringWriter();
        int exit;
        Console.SetError(captured);
        try
        {
            exit = FineTune.Cli.Cli.Run(root, ["boom"]);
        }
        finally
        {
            Console.SetError(before);
        }
        var text = captured.ToString();
        Assert.Equal(FineTune.Cli.Cli.Failed, exit);
        Assert.Contains("error: ExternalException: Expected false to be true, but got false.\n  (the rest of the message: set FINETUNE_DEBUG=1)\n", text);
        Assert.DoesNotContain("frame #", text);
        Assert.DoesNotContain("Exception raised from", text);
    }

    public static TheoryData<Exception, bool> Failures() => new()
    {
        { new InvalidInputException("--batch-size must be at least 1"), true },
        { new ModelFormatException("model.safetensors", "truncated"), true },
        { new TokenizerException("no vocab.txt"), true },
        { new AggregateException(new InvalidInputException("wrapped")), true },
        { new ExternalException(NativeMessage), false },
        { new OutOfMemoryException(), false },
        { new IOException("disk full"), false },
        { new FileNotFoundException("a blob vanished"), false }, // on a worker a missing file is a fault, not the user's input
        { new InvalidOperationException("injected fault at step 30"), false },
        { new CollectiveException("AllReduce #12: the peer closed the connection."), false },
        { new InvalidOperationException("wraps invalid input", new InvalidInputException("inner")), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Only_invalid_input_is_a_verdict_anything_else_is_a_fault(Exception e, bool invalidInput) =>
        Assert.Equal(invalidInput, Faults.IsInvalidInput(e));
}
