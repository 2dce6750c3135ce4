using FineTune.Contracts.V1;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// Rank 0's preemption report in words, for the recovery it starts: which ranks (workers) are shutting down, where
/// the group stopped, and the checkpoint it saved there, e.g. "preempted: rank 1 (worker-1) is shutting down; the
/// group stopped after step 43 and saved checkpoint-43".
/// </summary>
public static class Preemption
{
    public static string Reason(JobRecord job, Preempted p)
    {
        var ranks = p.Ranks.Select(r => r >= 0 && r < job.Workers.Count ? $"rank {r} ({job.Workers[r]})" : $"rank {r}").ToList();
        var who = ranks.Count == 0 ? "a rank" : string.Join(", ", ranks);
        var saved = p.Checkpoint.Length > 0 ? $"saved {p.Checkpoint}" : "could not send its checkpoint";
        return $"preempted: {who} {(ranks.Count > 1 ? "are" : "is")} shutting down; the group stopped after step {p.Step} and {saved}";
    }
}
