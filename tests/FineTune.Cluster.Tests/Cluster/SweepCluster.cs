using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using FineTune.Contracts.V1;
using FineTune.Core.Tests.Modeling;
using Grpc.Net.Client;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// What the sweep cluster tests share: a tiny model and a data set with distinct texts (so that the sweep's splits can be
/// checked disjoint row by row), a sweep file, ASHA's expected decisions recomputed from the recorded reports, and a
/// poller that watches the jobs so that overlaps and start order are observed, not inferred.
/// </summary>
static class SweepCluster
{
    static readonly string[] Positive = ["great", "good", "love"];
    static readonly string[] Negative = ["bad", "hate", "not"];
    static readonly string[] Filler = ["the", "food", "was", "service", "it", "i", "a", "b", "c"];

    /// <summary>Short fault timeouts: a lost worker is noticed after 5 s of silence, not the default's minutes.</summary>
    public static readonly string[] FastFaults = ["--heartbeat-timeout", "5", "--collective-timeout", "10", "--recovery-wait", "30"];

    /// <summary>
    /// Workers that pause 100 ms after every step (FineTune.Worker.InjectedDelay, test only): a tiny BERT's trial of 32
    /// steps then runs for seconds, not a fraction of one, so a test can act on a trial while it runs (CI once saw a
    /// whole 3-trial sweep end in 3.3 s, between two polls).
    /// </summary>
    public static readonly Dictionary<string, string> SlowSteps = new() { ["FINETUNE_TEST_STEP_DELAY_MS"] = "100" };

    /// <summary>
    /// A tiny base encoder and <paramref name="rows"/> rows, labels alternating, whose texts are all distinct: one
    /// sentiment word among one to three fillers, so that a trial with a working learning rate is above chance after
    /// its first 8 steps.
    /// </summary>
    public static (string Dir, string Model, string Dataset) Setup(int rows)
    {
        var dir = TinyModels.TempDir();
        var model = Path.Combine(dir, "model");
        Directory.CreateDirectory(model);
        TinyModels.WriteFolder(model, bareEncoderKeys: true);
        var random = new Random(3);
        var texts = new HashSet<string>();
        var lines = new List<string>();
        while (lines.Count < rows)
        {
            int label = lines.Count % 2;
            var words = Enumerable.Range(0, random.Next(1, 4)).Select(_ => Filler[random.Next(Filler.Length)]).ToList();
            var cue = label == 1 ? Positive : Negative;
            words.Insert(random.Next(words.Count + 1), cue[random.Next(cue.Length)]);
            var text = string.Join(' ', words);
            if (texts.Add(text)) lines.Add(new JsonObject { ["text"] = text, ["label"] = label }.ToJsonString());
        }
        var dataset = Path.Combine(dir, "rows.jsonl");
        File.WriteAllLines(dataset, lines);
        return (dir, model, dataset);
    }

    /// <summary>A sweep file over a base of 2 epochs on the tiny model (8 steps each on 128 training rows in batches of 16).</summary>
    public static string WriteSweep(string dir, string model, string dataset, int trials, string space, string? earlyStopping, int batchSize = 16)
    {
        var file = Path.Combine(dir, "sweep.yaml");
        File.WriteAllText(file, $"""
            base:
              model: {model}
              dataset: {dataset}
              num_train_epochs: 2
              per_device_train_batch_size: {batchSize}
              max_length: 32
              eval_strategy: epoch
              logging_steps: 2
              seed: 42
            metric: eval_accuracy
            trials: {trials}
            workers_per_trial: 1
            sampler: grid
            {(earlyStopping is null ? "" : "early_stopping: " + earlyStopping)}
            validation_split: 0.2
            seed: 7
            space:
            {space}
            """);
        return file;
    }

    /// <summary>
    /// ASHA's decisions (Ray's ASHAScheduler, one bracket, stopping-based) recomputed from the reports in arrival order
    /// (sweep.json's asha_reports: trial, evaluations, value) for a metric where greater is better: the trials it stops.
    /// </summary>
    public static HashSet<int> ExpectedStops(JsonArray reports, int gracePeriod, int reductionFactor, int maxT)
    {
        var rungs = new List<int>();
        for (int m = gracePeriod; m < maxT; m *= reductionFactor) rungs.Add(m);
        var recorded = rungs.ToDictionary(r => r, _ => new Dictionary<int, double>());
        var stops = new HashSet<int>();
        foreach (var r in reports.Select(r => r!.AsArray()))
        {
            int trial = (int)r[0]!, evaluations = (int)r[1]!;
            double value = (double)r[2]!;
            if (evaluations >= maxT) continue;
            var rung = rungs.Where(m => m <= evaluations && !recorded[m].ContainsKey(trial)).DefaultIfEmpty(-1).Max();
            if (rung < 0) continue;
            var before = recorded[rung].Values.Order().ToList();
            if (before.Count > 0 && value < Percentile(before, 1 - 1.0 / reductionFactor)) stops.Add(trial);
            recorded[rung][trial] = value;
        }
        return stops;
    }

    /// <summary>numpy.percentile's linear interpolation, q in [0, 1], of sorted values.</summary>
    static double Percentile(List<double> sorted, double q)
    {
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    public static JsonObject SweepJson(ClusterProcesses cluster, string sweepId) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(cluster.Root, "coordinator", "sweeps", sweepId, "sweep.json")))!.AsObject();

    public static string[] Lines(string path) => File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
}

/// <summary>Polls ListJobs every 100 ms: when each job was first and last seen running, and the trials seen running together.</summary>
sealed class JobWatcher : IDisposable
{
    readonly GrpcChannel channel;
    readonly Jobs.JobsClient jobs;
    readonly Thread thread;
    readonly Stopwatch clock = Stopwatch.StartNew();
    volatile bool stop;

    public JobWatcher(string url)
    {
        channel = GrpcChannel.ForAddress(url);
        jobs = new Jobs.JobsClient(channel);
        thread = new Thread(Run) { IsBackground = true };
        thread.Start();
    }

    /// <summary>Seconds since the watcher started at which the job was first seen running.</summary>
    public ConcurrentDictionary<string, double> FirstRunning { get; } = new();
    public ConcurrentDictionary<string, double> LastRunning { get; } = new();
    /// <summary>Sets of sweep trials' jobs seen running at the same poll.</summary>
    public ConcurrentBag<string[]> Together { get; } = [];
    public Job[] Latest { get; private set; } = [];

    void Run()
    {
        while (!stop)
        {
            try
            {
                var all = jobs.ListJobs(new ListJobsRequest(), deadline: DateTime.UtcNow.AddSeconds(5)).Jobs.ToArray();
                Latest = all;
                var now = clock.Elapsed.TotalSeconds;
                var running = all.Where(j => j.StateCode == JobState.Running).ToArray();
                foreach (var j in running)
                {
                    FirstRunning.TryAdd(j.Id, now);
                    LastRunning[j.Id] = now;
                }
                var trials = running.Where(j => j.SweepId.Length > 0).Select(j => j.Id).ToArray();
                if (trials.Length >= 2) Together.Add(trials);
            }
            catch (Grpc.Core.RpcException) { } // the coordinator restarting
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        stop = true;
        thread.Join();
        channel.Dispose();
    }
}
