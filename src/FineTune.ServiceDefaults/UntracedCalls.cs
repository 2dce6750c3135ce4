namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The HTTP and gRPC calls the services leave out of their traces, on both sides: the workers' HttpClient spans and the
/// coordinator's ASP.NET Core spans (docs/telemetry.md). One list, so a call is never traced on one side only.
/// </summary>
public static class UntracedCalls
{
    /// <summary>Health probes: every few seconds from the orchestrator, never part of a job.</summary>
    public static readonly IReadOnlyList<string> PathPrefixes = [Extensions.HealthPath, Extensions.AlivePath];

    /// <summary>
    /// gRPC methods (the request path's last segment, any service). Heartbeat and Report come twice a second per worker;
    /// the transfers (the model and checkpoint blobs, the data shards, the checkpoint and result uploads) run under a
    /// rank's span and would bury the job's ranks, epochs and steps. The Jobs calls users make (Submit, GetJob, WatchJob,
    /// a dataset's Upload...) start their own traces, outside any job's, and stay traced.
    /// </summary>
    public static readonly IReadOnlyList<string> Methods = ["Heartbeat", "Report", "FetchBlob", "FetchShard", "UploadResult"];

    /// <summary>True when the call to <paramref name="path"/> (e.g. /finetune.v1.Cluster/FetchShard) is not traced.</summary>
    public static bool Matches(string? path)
    {
        if (path is null) return false;
        foreach (var prefix in PathPrefixes)
            if (path.StartsWith(prefix, StringComparison.Ordinal)) return true;
        // A gRPC path is /package.Service/Method: only a whole last segment matches (UploadResult, not Upload).
        var slash = path.LastIndexOf('/');
        if (slash <= 0) return false;
        var method = path.AsSpan(slash + 1);
        foreach (var m in Methods)
            if (method.SequenceEqual(m)) return true;
        return false;
    }
}
