namespace FineTune.Core;

/// <summary>
/// Errors as a person reads them, formatted in this one place: the exception's type and the first line of its message,
/// never a stack trace. TorchSharp's <c>ExternalException</c> carries libtorch's whole C++ trace in its message
/// ("Exception raised from ... frame #0 ..."): that belongs in the process's own log (with the job and rank in scope),
/// not in a job's <c>error</c>, a recovery's <c>reason</c> or the command line's last line. Everything that carries an
/// error out of a process (a worker's failure report, the coordinator's recovery reasons and job errors, the CLI's
/// message) goes through here.
/// </summary>
public static class ErrorText
{
    /// <summary>The longest line kept; a longer one ends in "...".</summary>
    public const int MaxLength = 300;

    // libtorch appends this hint to its check failures; it says nothing about the error.
    const string TorchHint = "(Could this error message be improved?";

    /// <summary>"ExternalException: Expected false to be true, but got false." (wrappers such as a one-exception
    /// AggregateException or a TargetInvocationException are looked through).</summary>
    public static string Summary(Exception e)
    {
        e = Faults.Unwrap(e);
        var line = FirstLine(e.Message);
        return line.Length == 0 ? e.GetType().Name : $"{e.GetType().Name}: {line}";
    }

    /// <summary>The first non-blank line of a message, trimmed, without libtorch's "Could this error message be
    /// improved?" hint, at most <see cref="MaxLength"/> characters.</summary>
    public static string FirstLine(string? message)
    {
        if (string.IsNullOrWhiteSpace(message)) return "";
        var line = message.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        int hint = line.IndexOf(TorchHint, StringComparison.Ordinal);
        if (hint > 0) line = line[..hint].TrimEnd();
        line = line.Replace('\t', ' ');
        return line.Length <= MaxLength ? line : line[..(MaxLength - 3)] + "...";
    }

    /// <summary>"rank 1 (worker-1): ExternalException: Expected false to be true, but got false." from a rank's
    /// one-line error (made one line again here, whoever sent it).</summary>
    public static string OfRank(int rank, string? worker, string error) =>
        worker is { Length: > 0 } ? $"rank {rank} ({worker}): {FirstLine(error)}" : $"rank {rank}: {FirstLine(error)}";
}
