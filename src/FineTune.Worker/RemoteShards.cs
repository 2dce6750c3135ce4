using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Core.Arguments;
using FineTune.Core.Data;
using FineTune.Core.Sharding;

namespace FineTune.Worker;

/// <summary>
/// A rank's training data from the coordinator: each epoch's shard (only this rank's examples) fetched with FetchShard and
/// checked against its SHA-256, the next epoch fetched in the background while this one trains; the eval shard arrives
/// with the assignment.
/// </summary>
public sealed class RemoteShards(Cluster.ClusterClient client, Assignment a, string workerId, TrainingArguments args, TokenizedDataset? eval, ILogger? log = null, string? spoolDir = null) : IShardSource, IDisposable
{
    readonly CancellationTokenSource stop = new();
    readonly Lock gate = new();
    readonly Dictionary<int, Task<EpochShard>> pending = [];

    public int TrainExamples => a.TrainExamples;
    public int StepsPerEpoch => Math.Max(1, ShardPlan.Steps(a.TrainExamples, args.PerDeviceTrainBatchSize * a.WorldSize, args.GradientAccumulationSteps));
    public int EvalExamples => a.EvalExamples;
    public TokenizedDataset? Eval => eval;

    public EpochShard Epoch(int epoch, int startExample = 0)
    {
        Task<EpochShard>? fetch = null;
        lock (gate)
        {
            if (startExample != 0 || !pending.Remove(epoch, out fetch)) fetch = FetchAsync(epoch, startExample); // prefetches are whole epochs
        }
        var shard = fetch.GetAwaiter().GetResult();
        int expected = startExample == 0 ? StepsPerEpoch : ShardPlan.Steps(a.TrainExamples - startExample, args.PerDeviceTrainBatchSize * a.WorldSize, args.GradientAccumulationSteps);
        if (shard.Windows.Count != expected)
            throw new InvalidDataException($"epoch {epoch}: the coordinator planned {shard.Windows.Count} steps, this worker expected {expected}");
        return shard;
    }

    public void Prefetch(int epoch)
    {
        lock (gate)
        {
            if (!pending.ContainsKey(epoch)) pending[epoch] = Task.Run(() => FetchAsync(epoch, 0));
        }
    }

    async Task<EpochShard> FetchAsync(int epoch, int startExample)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var request = new ShardRequest { JobId = a.JobId, Generation = a.Generation, Rank = a.Rank, WorldSize = a.WorldSize, Epoch = epoch, StartExample = startExample, WorkerId = workerId };
        using var call = client.FetchShard(request, cancellationToken: stop.Token);
        // Spooled to disk when there is a folder for it (a fetch of its own, so a resumed epoch's fetch and its prefetch
        // never share a file): only the parsed shard stays in memory, not its bytes as well. Offsets and SHA-256 checked.
        var spool = spoolDir is null ? null : Path.Combine(spoolDir, Guid.NewGuid().ToString("N"));
        try
        {
            using var receiver = new FileChunkReceiver(spool, long.MaxValue);
            var files = await FileTransfers.ReceiveAsync(call.ResponseStream, receiver, stop.Token);
            if (files is not [var shard]) throw new InvalidDataException($"epoch {epoch} shard: the coordinator sent {files.Count} files, not one");
            EpochShard result;
            using (var bytes = new BufferedStream(shard.OpenRead(), 1 << 20)) result = EpochShard.Read(bytes);
            // The scale benchmark reads this line: bytes and time of each shard transfer.
            log?.LogInformation("epoch {Epoch} shard: {Bytes} bytes, {Examples} examples in {Seconds:F2} s", epoch, shard.Size, result.Examples.Count, clock.Elapsed.TotalSeconds);
            return result;
        }
        finally
        {
            if (spool is not null && Directory.Exists(spool)) Directory.Delete(spool, recursive: true);
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        lock (gate)
        {
            // Observe what is still in flight so a cancelled prefetch is not an unobserved fault.
            foreach (var t in pending.Values) t.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            pending.Clear();
        }
    }
}
