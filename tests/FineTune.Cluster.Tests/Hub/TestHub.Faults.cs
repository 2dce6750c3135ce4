namespace FineTune.Cluster.Tests.Hub;

/// <summary>What is done to the next download body of a file: cut after some bytes, one byte flipped, a rate.</summary>
readonly record struct BodyFault(long? CutAfter, bool Corrupt, int? BytesPerSecond);

public sealed partial class TestHub
{
    readonly Lock faults = new();
    readonly Dictionary<string, long> cuts = new(StringComparer.Ordinal);
    readonly HashSet<string> corruptions = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> throttles = new(StringComparer.Ordinal);
    readonly List<(string Prefix, int Left, int Status)> failures = [];

    /// <summary>
    /// The next download of the repo file <paramref name="path"/> (a whole body, or a resume with bytes=N-; from the
    /// hub or the storage) stops after <paramref name="afterBytes"/> bytes and the connection is aborted.
    /// </summary>
    public void CutOnce(string path, long afterBytes)
    {
        lock (faults) cuts[path] = afterBytes;
    }

    /// <summary>The next download of <paramref name="path"/> has one byte flipped; headers (size, etag) unchanged.</summary>
    public void CorruptOnce(string path)
    {
        lock (faults) corruptions.Add(path);
    }

    /// <summary>Downloads of <paramref name="path"/> are sent at about <paramref name="bytesPerSecond"/> until cleared.</summary>
    public void Throttle(string path, int bytesPerSecond)
    {
        lock (faults) throttles[path] = bytesPerSecond;
    }

    /// <summary>The next <paramref name="count"/> requests whose URL path starts with <paramref name="pathPrefix"/> (either host) fail with <paramref name="status"/>.</summary>
    public void FailNext(string pathPrefix, int count, int status = 500)
    {
        lock (faults) failures.Add((pathPrefix, count, status));
    }

    public void ClearFaults()
    {
        lock (faults)
        {
            cuts.Clear();
            corruptions.Clear();
            throttles.Clear();
            failures.Clear();
        }
    }

    int? TakeFailure(string path)
    {
        lock (faults)
        {
            int i = failures.FindIndex(f => f.Left > 0 && path.StartsWith(f.Prefix, StringComparison.Ordinal));
            if (i < 0) return null;
            var failure = failures[i];
            failures[i] = failure with { Left = failure.Left - 1 };
            return failure.Status;
        }
    }

    BodyFault TakeBodyFault(string path)
    {
        lock (faults)
        {
            long? cut = cuts.Remove(path, out var after) ? after : null;
            return new BodyFault(cut, corruptions.Remove(path), throttles.TryGetValue(path, out var rate) ? rate : null);
        }
    }
}
