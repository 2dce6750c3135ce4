namespace FineTune.Coordinator.Jobs;

/// <summary>Where the coordinator keeps its state (jobs, blobs, outputs), its timing knobs and its limits.</summary>
public sealed record CoordinatorOptions(string DataDir)
{
    public const int DefaultMaxWorkers = 64;

    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan CollectiveTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public string JobsDir => Path.Combine(DataDir, "jobs");
    public string BlobsDir => Path.Combine(DataDir, "blobs");
    /// <summary>Files and folders uploaded by clients; `coordinator:/uploads/...` paths resolve here.</summary>
    public string UploadsDir => Path.Combine(DataDir, "uploads");
    public long MaxUploadBytes { get; init; } = 4L << 30;

    /// <summary>
    /// The most workers this cluster can ever have (--max-workers, FineTune:MaxWorkers): a job asking for more would
    /// queue forever, so it is refused at submission. The operator's declared cluster size, not the workers ready now.
    /// </summary>
    public int MaxWorkers { get; init; } = DefaultMaxWorkers;

    /// <summary>Coordinator folders that jobs may name directly (--data-roots); empty: only uploads.</summary>
    public IReadOnlyList<string> DataRoots { get; init; } = [];
}
