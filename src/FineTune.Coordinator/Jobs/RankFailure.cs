using FineTune.Core;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// A rank's failure report: its rank and worker, the error as one line ("Type: first line of the message"), the
/// global step it had reached (null from a worker that does not say), whether a restart may fix it (false: invalid
/// input), and whether it came from the group (a broken collective: the symptom of another rank's fault).
/// </summary>
public sealed record RankFailure(int Rank, string? Worker, string Error, int? Step, bool Recoverable, bool GroupFailure = false)
{
    /// <summary>What the job's error or the recovery's reason says: "rank 1 (worker-1): ExternalException: ...".</summary>
    public string Reason => ErrorText.OfRank(Rank, Worker, Error);

    /// <summary>The same error (type and first line) at the same step as one a recovery already followed: a
    /// deterministic failure, which another restart would only repeat. A group's failure never counts.</summary>
    public Recovery? Recurs(IEnumerable<Recovery> recoveries) =>
        GroupFailure || Step is not { } step ? null : Recovery.Earlier(recoveries, ErrorText.FirstLine(Error), step);
}
