using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;

namespace FineTune.Worker;

/// <summary>
/// One rank's side of its job's conversation with the coordinator: reports (stamped with the job, generation, rank and
/// worker, and refused once the job has moved on: then the rank stops) and result uploads (checkpoints, the final model).
/// </summary>
sealed class CoordinatorLink(Cluster.ClusterClient client, Assignment a, string workerId, ILogger log, Action fencedOut)
{
    static readonly TimeSpan ReportDeadline = TimeSpan.FromMinutes(1);

    public int Rank => a.Rank;

    public void Send(WorkerReport report)
    {
        report.WorkerId = workerId;
        report.JobId = a.JobId;
        report.Generation = a.Generation;
        report.Rank = a.Rank;
        var ack = client.Report(report, deadline: DateTime.UtcNow + ReportDeadline); // a hung call must not hold training forever
        if (!ack.Ok)
        {
            // Fenced out: the job moved on to another group (or ended) while this rank was away.
            log.LogWarning("job {Job} rank {Rank}: the coordinator refused a report ({Message}); stopping", a.JobId, a.Rank, ack.Message);
            fencedOut();
        }
    }

    /// <summary>A folder's files to the coordinator: the final model (checkpoint null) or a checkpoint-STEP folder.</summary>
    public void UploadFolder(string folder, string? checkpoint = null)
    {
        using var call = client.UploadResult();
        FileTransfers.UploadAsync(call.RequestStream, FolderFiles.List(folder),
            chunk => new ResultChunk { JobId = a.JobId, WorkerId = workerId, Generation = a.Generation, Checkpoint = checkpoint ?? "", Chunk = chunk }).GetAwaiter().GetResult();
        var ack = call.ResponseAsync.GetAwaiter().GetResult();
        if (!ack.Ok) throw new InvalidOperationException($"the coordinator refused the result: {ack.Message}");
    }
}
