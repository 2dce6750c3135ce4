using System.Collections.Concurrent;

namespace FineTune.Worker;

/// <summary>
/// Rank 0's checkpoints on their way to the coordinator, one at a time in the order saved, on a thread of their own:
/// the other ranks wait in a barrier while rank 0 saves, so the save must not also wait for the network.
/// </summary>
sealed class CheckpointUploads : IDisposable
{
    readonly BlockingCollection<(string Path, double SaveSeconds)> queue = [];
    readonly Thread thread;
    readonly CoordinatorLink link;
    readonly ILogger log;
    int pending;

    public CheckpointUploads(CoordinatorLink link, ILogger log)
    {
        this.link = link;
        this.log = log;
        thread = new Thread(Loop) { IsBackground = true, Name = "checkpoint uploads" };
        thread.Start();
    }

    /// <summary>The newest checkpoint the coordinator acknowledged (checkpoint-STEP), if any.</summary>
    public string? LastSent { get; private set; }

    /// <summary>A checkpoint folder rank 0 wrote in <paramref name="saveSeconds"/>, queued for upload.</summary>
    public void Add(string checkpoint, double saveSeconds)
    {
        Interlocked.Increment(ref pending);
        queue.Add((checkpoint, saveSeconds));
    }

    /// <summary>Waits until every checkpoint added so far has been sent (or has failed).</summary>
    public void Drain()
    {
        while (Volatile.Read(ref pending) > 0) Thread.Sleep(50);
    }

    void Loop()
    {
        foreach (var (checkpoint, saveSeconds) in queue.GetConsumingEnumerable())
        {
            try
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                link.UploadFolder(checkpoint, Path.GetFileName(checkpoint));
                LastSent = Path.GetFileName(checkpoint);
                // Saved plus sent: what a preemption needs within the pod's termination grace period.
                log.LogInformation("{Checkpoint} saved in {SaveSeconds:0.0} s, sent to the coordinator in {Seconds:0.0} s", LastSent, saveSeconds, clock.Elapsed.TotalSeconds);
            }
            catch (Exception e)
            {
                // A newer checkpoint follows; a recovery before it resumes from an older one (or the start).
                log.LogWarning("{Checkpoint} not sent to the coordinator: {Message}", Path.GetFileName(checkpoint), e.Message);
            }
            finally
            {
                Interlocked.Decrement(ref pending);
            }
        }
    }

    public void Dispose() => queue.CompleteAdding();
}
