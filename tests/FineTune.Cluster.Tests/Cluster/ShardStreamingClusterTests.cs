using System.Text.Json;
using System.Text.RegularExpressions;
using FineTune.Cluster.Tests.Cli;
using FineTune.Contracts.V1;
using FineTune.Core.Tests.Training;
using Grpc.Core;
using Grpc.Net.Client;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// Two worker processes train on shards the coordinator streams them per epoch and evaluate their own eval shards; a
/// second job on the same data and tokenizer reuses the coordinator's tokenization cache. Tiny model (fast).
/// </summary>
[Collection(TorchGlobalState.Name)]
public class ShardStreamingClusterTests
{
    [Fact]
    public void Two_workers_train_on_streamed_shards_and_a_second_job_reuses_the_tokenized_data()
    {
        var (model, dataset, _) = TinyJobs.Setup(80); // 64 train, 16 eval
        using var cluster = new ClusterProcesses(workers: 2);
        string[] job = ["submit", "--coordinator", cluster.Url, "--model", model, "--dataset", dataset, "--workers", "2", "--max-length", "32",
            "--learning-rate", "1e-2", "--epochs", "3", "--group-by-length", "--save-strategy", "no", "--eval-strategy", "epoch", "--wait", "--json"];

        JsonElement Run(string requestId)
        {
            var r = FinetuneProcess.RunWithin(TimeSpan.FromMinutes(5), null, [.. job, "--request-id", requestId]);
            Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}\n{cluster.Logs()}");
            var root = JsonDocument.Parse(r.Stdout).RootElement.Clone();
            Assert.Equal("succeeded", root.GetProperty("state").GetString());
            Assert.Equal(2, root.GetProperty("world_size").GetInt32());
            return root;
        }

        var first = Run("shards-1");
        // Every eval example counted once across the two ranks' shards (8 + 8), three epochs of 4 steps (64 / (8 x 2)).
        Assert.Equal(16, first.GetProperty("metrics").GetProperty("eval_samples").GetInt32());
        Assert.Equal(12, first.GetProperty("metrics").GetProperty("global_step").GetInt32());
        var evaluated = first.GetProperty("history").EnumerateArray().Where(e => e.TryGetProperty("eval_accuracy", out _)).Select(e => e.GetProperty("step").GetInt32());
        Assert.Equal([4, 8, 12], evaluated); // one evaluation per epoch, reported once (by rank 0)

        var second = Run("shards-2");
        Assert.Equal(16, second.GetProperty("metrics").GetProperty("eval_samples").GetInt32());
        // The same data, options and tokenizer: the same training, and no second tokenization.
        Assert.Equal(first.GetProperty("metrics").GetProperty("train_loss").GetDouble(), second.GetProperty("metrics").GetProperty("train_loss").GetDouble());
        var logs = cluster.Logs();
        var tokenized = Regex.Matches(logs, @"tokenized 64 train and 16 eval examples, \d+ tokens( \(cached\))?").Select(m => m.Value).ToList();
        Assert.True(tokenized.Count == 2, logs);
        Assert.DoesNotContain("(cached)", tokenized[0]);
        Assert.EndsWith("(cached)", tokenized[1]);

        // Shards go only to a running job's workers: an ended job's are refused, naming the field.
        using var channel = GrpcChannel.ForAddress(cluster.Url);
        var client = new FineTune.Contracts.V1.Cluster.ClusterClient(channel);
        var e = Assert.Throws<RpcException>(() =>
        {
            using var call = client.FetchShard(new ShardRequest { JobId = second.GetProperty("id").GetString(), Generation = 1, WorldSize = 2, WorkerId = "nobody" });
            call.ResponseStream.MoveNext().GetAwaiter().GetResult();
        });
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.StartsWith("job_id:", e.Status.Detail);
    }
}
