namespace FineTune.Coordinator.Jobs;

/// <summary>Where the coordinator keeps its state (jobs, blobs, outputs), the folders jobs may read, and its timing knobs.</summary>
public sealed record CoordinatorOptions(string DataDir)
{
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan CollectiveTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public string JobsDir => Path.Combine(DataDir, "jobs");
    public string BlobsDir => Path.Combine(DataDir, "blobs");
    /// <summary>Tokenized datasets by their cache key (data, options that change rows, tokenizer, max length).</summary>
    public string TokenizedDir => Path.Combine(DataDir, "tokenized");
    /// <summary>Files and folders uploaded by clients: always a root, named `uploads`.</summary>
    public string UploadsDir => Path.Combine(DataDir, "uploads");
    /// <summary>
    /// Folders on the coordinator that jobs may read besides the uploads (`--root DIR`, repeatable; `FineTune:Roots`):
    /// `coordinator:/NAME/...` names a file under the root whose folder is called NAME.
    /// </summary>
    public IReadOnlyList<string> Roots { get; init; } = [];
    public long MaxUploadBytes { get; init; } = 4L << 30;
}
