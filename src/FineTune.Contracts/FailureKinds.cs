using FineTune.Contracts.V1;

namespace FineTune.Contracts;

/// <summary>FailureKind's names in the --json contract ("invalid_input", "fault") and the exit code each means.</summary>
public static class FailureKinds
{
    public static string? Name(FailureKind kind) => kind switch
    {
        FailureKind.InvalidInput => "invalid_input",
        FailureKind.Fault => "fault",
        _ => null,
    };

    /// <summary>`finetune submit --wait` and `watch`: 2 for a job that failed on its input, 1 for any other failure.</summary>
    public static int ExitCode(FailureKind kind) => kind == FailureKind.InvalidInput ? 2 : 1;
}
