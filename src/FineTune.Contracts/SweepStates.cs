namespace FineTune.Contracts;

/// <summary>A sweep's states on the wire (Sweep.state): preparing (its splits are written), running (trials), scoring (the test set, once), then
/// succeeded, failed or cancelled (final).</summary>
public static class SweepStates
{
    public const string Preparing = "preparing";
    public const string Running = "running";
    public const string Scoring = "scoring";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsFinal(string state) => state is Succeeded or Failed or Cancelled;
}
