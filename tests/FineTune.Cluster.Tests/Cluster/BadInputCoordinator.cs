using System.Text;
using FineTune.Cli.Commands;
using FineTune.Contracts.V1;
using FineTune.Core.Tests.Modeling;
using FineTune.Core.Tests.Training;
using Grpc.Net.Client;
using static FineTune.Cluster.Tests.Cluster.CoordinatorCalls;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// One real coordinator (no workers, so accepted jobs only queue) that the bad-input tests share: tiny model and data
/// uploaded once, a few spoiled models and datasets, and an earlier job that every test checks is left untouched.
/// </summary>
public sealed class BadInputCoordinator : IDisposable
{
    public const string Key = "bad-input-key";
    public const int MaxWorkers = 4;
    public readonly ClusterProcesses Cluster = new(workers: 0, coordinatorArgs: ["--api-key", Key, "--max-workers", MaxWorkers.ToString()]);
    public readonly GrpcChannel Channel;
    public readonly Jobs.JobsClient Jobs;
    public readonly Dictionary<string, string> Paths = [];
    public readonly Dictionary<string, string> Local = [];
    public readonly Job Earlier;

    public BadInputCoordinator()
    {
        Channel = GrpcChannel.ForAddress(Cluster.Url, new GrpcChannelOptions { MaxSendMessageSize = null });
        Jobs = new Jobs.JobsClient(Channel);
        var (model, dataset, _) = TinyJobs.Setup(40);
        var dir = Path.GetDirectoryName(dataset)!;
        Local["model"] = model;
        Local["dataset"] = dataset;
        // Spoiled models (each a copy of the tiny one with one thing wrong) and datasets.
        Local["model-bad-config"] = SpoiledModel(model, d => File.WriteAllText(Path.Combine(d, "config.json"), "{\"model_type\": "));
        Local["model-gpt2"] = SpoiledModel(model, d => File.WriteAllText(Path.Combine(d, "config.json"), "{\"model_type\": \"gpt2\"}"));
        Local["model-no-weights"] = SpoiledModel(model, d => File.Delete(Path.Combine(d, "model.safetensors")));
        Local["model-truncated"] = SpoiledModel(model, d =>
        {
            var path = Path.Combine(d, "model.safetensors");
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        });
        Local["model-corrupt"] = SpoiledModel(model, d => File.WriteAllText(Path.Combine(d, "model.safetensors"), "not a safetensors file"));
        Local["model-no-vocab"] = SpoiledModel(model, d => File.Delete(Path.Combine(d, "vocab.txt")));
        Local["empty.jsonl"] = Write(dir, "empty.jsonl", "");
        Local["columns.jsonl"] = Write(dir, "columns.jsonl", "{\"review\": \"good\", \"stars\": 1}\n{\"review\": \"bad\", \"stars\": 0}\n");
        Local["badline.csv"] = Write(dir, "badline.csv", "text,label\ngood food,1\n\"never closed,0\nbad food,0\n");
        Local["badjson.jsonl"] = Write(dir, "badjson.jsonl", "{\"text\": \"good\", \"label\": 1}\n{\"text\": \"bad\", \"label\": \n");
        Local["latin1.csv"] = Path.Combine(dir, "latin1.csv");
        File.WriteAllBytes(Local["latin1.csv"], [.. Encoding.ASCII.GetBytes("text,label\ngood,1\ncaf"), 0xE9, .. Encoding.ASCII.GetBytes(" bad,0\n")]);
        Local["single.jsonl"] = Write(dir, "single.jsonl", string.Concat(Enumerable.Range(0, 10).Select(i => $"{{\"text\": \"good {i}\", \"label\": 1}}\n")));
        Local["empty-texts.jsonl"] = Write(dir, "empty-texts.jsonl", "{\"text\": \"\", \"label\": 1}\n{\"text\": \" \", \"label\": 0}\n");
        Local["eval-unknown-label.jsonl"] = Write(dir, "eval-unknown-label.jsonl", "{\"text\": \"good\", \"label\": 1}\n{\"text\": \"meh\", \"label\": 7}\n");

        using var client = new CoordinatorClient(Cluster.Url, Key);
        foreach (var (name, path) in Local) Paths[name] = client.Upload(path);
        Earlier = Jobs.Submit(Request(Base(), "earlier-job"), ApiKey(Key));
    }

    static string SpoiledModel(string model, Action<string> spoil)
    {
        var dir = Path.Combine(TinyModels.TempDir(), "model");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(model)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        spoil(dir);
        return dir;
    }

    static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A valid tiny job that queues for two workers (there are none).</summary>
    public Dictionary<string, string> Base() => new()
    {
        ["model"] = Paths["model"],
        ["dataset"] = Paths["dataset"],
        ["max_length"] = "32",
        ["workers"] = "2",
    };

    public static SubmitJobRequest Request(Dictionary<string, string> options, string requestId = "")
    {
        var r = new SubmitJobRequest { RequestId = requestId };
        foreach (var (k, v) in options) r.Options[k] = v;
        return r;
    }

    /// <summary>The earlier job is exactly as it was: still queued, same options, no error.</summary>
    public void AssertEarlierUntouched()
    {
        var now = Jobs.GetJob(new GetJobRequest { JobId = Earlier.Id }, ApiKey(Key));
        Assert.Equal("queued", now.State);
        Assert.Equal("", now.Error);
        Assert.Equal(Earlier.Options, now.Options);
        Assert.Equal(Earlier.CreatedUnixMs, now.CreatedUnixMs);
    }

    public IReadOnlyList<Job> List() => Jobs.ListJobs(new ListJobsRequest(), ApiKey(Key)).Jobs;

    public void Dispose()
    {
        Channel.Dispose();
        Cluster.Dispose();
    }
}
