namespace FineTune.Contracts;

/// <summary>The phases of a job's data work on the coordinator (DataProgress.phase), spelled once.</summary>
public static class DataPhase
{
    public const string Waiting = "waiting";
    public const string Downloading = "downloading";
    public const string Reading = "reading";
    public const string Tokenizing = "tokenizing";
    public const string Ready = "ready";
    public const string Failed = "failed";
}
