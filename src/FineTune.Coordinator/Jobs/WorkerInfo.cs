using FineTune.Contracts.V1;

namespace FineTune.Coordinator.Jobs;

/// <summary>
/// A registered worker: where its ring listens, when it was last heard from, what it runs. The scheduler reserves it,
/// hands it an assignment or releases it; its heartbeat takes the assignment or a stop. Both sides go through the
/// methods below, under the worker's own lock, so an assignment is delivered exactly once and never after a release.
/// </summary>
public sealed class WorkerInfo
{
    readonly Lock gate = new();
    Assignment? pending;
    bool stopRequested;
    bool took; // the worker took the assignment of the job it is reserved for
    bool delivered; // an assignment went out and the worker has not said it is idle since

    /// <summary>
    /// Free for a new group: reserved for no job, and its last heartbeat said it runs none and came after the last
    /// assignment it took (a worker killed within a heartbeat of taking one would otherwise look idle).
    /// </summary>
    public bool IsFree
    {
        get { lock (gate) return JobId is null && ReportedJob.Length == 0 && !delivered && !Draining; }
    }

    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string RingEndpoint { get; init; }
    public string Device { get; init; } = "cpu";
    /// <summary>The job kinds it runs (JobKinds): train, and what it named at registration (evaluate).</summary>
    public IReadOnlySet<string> JobKinds { get; init; } = new HashSet<string> { Contracts.JobKinds.Train };
    public DateTimeOffset LastSeen { get; private set; }
    /// <summary>The job the coordinator reserved this worker for (preparing or running it), if any.</summary>
    public string? JobId { get; private set; }
    /// <summary>The job the worker itself says it is running (from its heartbeats): busy until it lets go.</summary>
    public string ReportedJob { get; private set; } = "";
    /// <summary>The worker is shutting down (SIGTERM): it takes no new assignment and leaves once no job holds it.</summary>
    public bool Draining { get; private set; }
    /// <summary>Draining and reserved for a job whose rank it never started: that job must regroup without it.</summary>
    public bool Abandons
    {
        get { lock (gate) return Draining && JobId is not null && !took && ReportedJob.Length == 0; }
    }

    public void Seen(DateTimeOffset now)
    {
        lock (gate) LastSeen = now;
    }

    /// <summary>Taken for a job's new group while it is prepared.</summary>
    public void Reserve(string jobId)
    {
        lock (gate)
        {
            JobId = jobId;
            took = false;
        }
    }

    /// <summary>The prepared assignment, for the worker's next heartbeat; refused unless still reserved for its job.</summary>
    public bool Assign(Assignment assignment)
    {
        lock (gate)
        {
            if (JobId != assignment.JobId) return false;
            pending = assignment;
            return true;
        }
    }

    /// <summary>The worker leaves its job: told to stop if it already took its assignment; idle again either way.</summary>
    public void Release()
    {
        lock (gate)
        {
            stopRequested = pending is null;
            pending = null;
            JobId = null;
        }
    }

    /// <summary>The job ended well: the worker stops by itself, nothing to tell it.</summary>
    public void Finish()
    {
        lock (gate)
        {
            pending = null;
            JobId = null;
        }
    }

    /// <summary>
    /// A heartbeat: the job the worker runs (empty when idle) and whether that job and generation are still current.
    /// A worker still running a job it no longer belongs to (an old generation after a recovery, a job that ended or was
    /// forgotten across a restart) is told to stop: it cannot rejoin the new group. An idle worker takes its assignment.
    /// A draining worker takes nothing new; once idle and free of any job it is told to leave.
    /// </summary>
    public HeartbeatResponse OnHeartbeat(string reportedJob, bool reportedJobIsCurrent, DateTimeOffset now, bool draining = false)
    {
        lock (gate)
        {
            LastSeen = now;
            ReportedJob = reportedJob;
            Draining |= draining;
            if (reportedJob.Length > 0)
            {
                bool stale = JobId != reportedJob || !reportedJobIsCurrent;
                return stopRequested || stale ? new HeartbeatResponse { Cancel = true } : new HeartbeatResponse();
            }
            stopRequested = false;
            if (Draining) return new HeartbeatResponse { Leave = JobId is null };
            var response = new HeartbeatResponse { Assignment = pending };
            took |= pending is not null;
            delivered = pending is not null; // idle now, unless it takes work with this reply
            pending = null;
            return response;
        }
    }
}
