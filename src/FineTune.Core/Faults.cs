using System.Reflection;

namespace FineTune.Core;

/// <summary>
/// What a failed training run means for its job. Invalid input (an <see cref="InvalidInputException"/>: a bad file,
/// field or option) fails the job: no restart fixes it. Anything else (a native <c>ExternalException</c>, out of
/// memory, an I/O error, a lost peer, a bug that strikes once) is a fault: the job recovers from its last checkpoint,
/// within its restart limit, as torchrun's --max-restarts and Ray Train's FailureConfig(max_failures) do.
/// </summary>
public static class Faults
{
    /// <summary>True for invalid input, false for a fault: the verdict on a failed run (fail the job, or recover it).
    /// On a worker a missing file is a fault (a blob that vanished), not the user's input.</summary>
    public static bool IsInvalidInput(Exception e) => Unwrap(e) is InvalidInputException;

    /// <summary>
    /// A request's bad input, where the user names the files: invalid input, or a named file or folder that is missing,
    /// unreadable or not UTF-8. The CLI (exit code 2) and the Jobs API (INVALID_ARGUMENT) decide by this one predicate.
    /// </summary>
    public static bool IsBadRequest(Exception e) => IsInvalidInput(e) || Unwrap(e) is FileNotFoundException or DirectoryNotFoundException
        or UnauthorizedAccessException or System.Text.DecoderFallbackException;

    /// <summary>The exception that says what happened: through a one-exception AggregateException, a
    /// TargetInvocationException or a TypeInitializationException.</summary>
    public static Exception Unwrap(Exception e)
    {
        while (true)
        {
            var inner = e switch
            {
                AggregateException { InnerExceptions.Count: 1 } a => a.InnerExceptions[0],
                TargetInvocationException { InnerException: { } i } => i,
                TypeInitializationException { InnerException: { } i } => i,
                _ => null,
            };
            if (inner is null) return e;
            e = inner;
        }
    }
}
