namespace FineTune.Coordinator.Jobs;

/// <summary>Where the coordinator keeps its state (jobs, blobs, outputs) and its timing knobs.</summary>
public sealed record CoordinatorOptions(string DataDir)
{
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan CollectiveTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public string JobsDir => Path.Combine(DataDir, "jobs");
    public string BlobsDir => Path.Combine(DataDir, "blobs");
    /// <summary>Tokenized datasets by their cache key (data, options that change rows, tokenizer, max length).</summary>
    public string TokenizedDir => Path.Combine(DataDir, "tokenized");
    /// <summary>Files and folders uploaded by clients; `coordinator:/uploads/...` paths resolve here and nowhere else.</summary>
    public string UploadsDir => Path.Combine(DataDir, "uploads");
    public long MaxUploadBytes { get; init; } = 4L << 30;
}
