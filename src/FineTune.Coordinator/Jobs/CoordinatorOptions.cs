using FineTune.Core.Hub;

namespace FineTune.Coordinator.Jobs;

/// <summary>Where the coordinator keeps its state (jobs, blobs, outputs), its timing knobs and its limits.</summary>
public sealed record CoordinatorOptions(string DataDir)
{
    public const int DefaultMaxWorkers = 64;

    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How often workers heartbeat (told at registration): a twentieth of the timeout, at most 500 ms, so a
    /// worker misses many beats before it counts as lost.</summary>
    public TimeSpan HeartbeatInterval => TimeSpan.FromMilliseconds(Math.Clamp(HeartbeatTimeout.TotalMilliseconds / 20, 50, 500));
    public TimeSpan CollectiveTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a recovering job waits for enough ready workers before it fails.</summary>
    public TimeSpan RecoveryWait { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>How long a recovering job waits for its surviving workers to come back before shrinking the group.</summary>
    public TimeSpan RecoveryGrace { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>A job that keeps losing its group gives up after this many recoveries.</summary>
    public int MaxRestarts { get; init; } = 5;
    public string JobsDir => Path.Combine(DataDir, "jobs");
    public string BlobsDir => Path.Combine(DataDir, "blobs");
    /// <summary>Tokenized datasets by their cache key (data, options that change rows, tokenizer, max length).</summary>
    public string TokenizedDir => Path.Combine(DataDir, "tokenized");
    /// <summary>Files and folders uploaded by clients; `coordinator:/uploads/...` paths resolve here.</summary>
    public string UploadsDir => Path.Combine(DataDir, "uploads");
    /// <summary>Sweeps: sweeps/ID/sweep.json and sweeps/ID/data (the splits its trials read: a root of the path rules).</summary>
    public string SweepsDir => Path.Combine(DataDir, "sweeps");
    public string CheckpointsDir(string jobId) => Path.Combine(JobsDir, jobId, "checkpoints");
    public long MaxUploadBytes { get; init; } = 4L << 30;
    /// <summary>The largest file rank 0 may send with UploadResult (a model's or optimizer's weights, per file).</summary>
    public long MaxResultBytes { get; init; } = 64L << 30;

    /// <summary>
    /// The most workers this cluster can ever have (--max-workers, FineTune:MaxWorkers): a job asking for more would
    /// queue forever, so it is refused at submission. The operator's declared cluster size, not the workers ready now.
    /// </summary>
    public int MaxWorkers { get; init; } = DefaultMaxWorkers;

    /// <summary>
    /// The Hugging Face Hub as this coordinator reaches it for jobs that name models and datasets by id: HF_ENDPOINT,
    /// HF_TOKEN and HF_HUB_OFFLINE from its own environment (never from a job), the cache in HF_HUB_CACHE else
    /// DATA_DIR/hub. Null when --hub-access is false: ids are refused at submission.
    /// </summary>
    public HubSettings? Hub { get; init; }

    /// <summary>Coordinator folders that jobs may name directly (--data-roots); empty: only uploads.</summary>
    public IReadOnlyList<string> DataRoots { get; init; } = [];
}
