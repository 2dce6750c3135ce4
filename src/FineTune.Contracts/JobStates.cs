using FineTune.Contracts.V1;

namespace FineTune.Contracts;

/// <summary>
/// JobState's names on the wire and in job.json ("queued", ..., "stopped": the --json contract's strings), and which
/// states are final. One place for both, so no state is ever spelled as a literal elsewhere.
/// </summary>
public static class JobStates
{
    /// <summary>The ends of a job. Stopped (ended early by the coordinator, e.g. a sweep's poor trial) is neither success nor failure.</summary>
    public static readonly JobState[] Final = [JobState.Succeeded, JobState.Failed, JobState.Cancelled, JobState.Stopped];

    public static bool IsFinal(this JobState state) => Array.IndexOf(Final, state) >= 0;

    /// <summary>The state's lower-case name: JobState.Recovering is "recovering".</summary>
    public static string Name(this JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Preparing => "preparing",
        JobState.Running => "running",
        JobState.Recovering => "recovering",
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        JobState.Stopped => "stopped",
        _ => "unspecified",
    };

    public static JobState Parse(string name) =>
        Enum.GetValues<JobState>().FirstOrDefault(s => s != JobState.Unspecified && s.Name() == name) is var s && s != JobState.Unspecified
            ? s : throw new FormatException($"state: '{name}' is not a job state ({string.Join(", ", Enum.GetValues<JobState>().Skip(1).Select(Name))})");

    /// <summary>A Job message's state: its enum, or its name from a coordinator that predates the enum.</summary>
    public static JobState StateOf(Job job) => job.StateCode != JobState.Unspecified ? job.StateCode : Parse(job.State);
}
