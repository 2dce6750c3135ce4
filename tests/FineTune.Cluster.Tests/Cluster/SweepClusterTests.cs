using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FineTune.Cluster.Tests.Cli;
using FineTune.Contracts.V1;
using FineTune.Core.Tests.Training;
using Grpc.Net.Client;
using static FineTune.Cluster.Tests.Cluster.SweepCluster;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// Hyperparameter sweeps on a real cluster (a coordinator and 2 workers of 1 thread as processes, a tiny BERT, trials of
/// 16 steps): the CLI's `sweep submit --wait`, trials as ordinary jobs running side by side, ASHA's stops checked against
/// its rule recomputed from the recorded evaluations, the test set kept out and scored once, an ordinary job submitted
/// mid-sweep served before the later trials, and a coordinator killed mid-sweep.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class SweepClusterTests
{
    /// <summary>The coordinator's scheduling pass, in seconds (Scheduler: workers for data-ready jobs every 250 ms).</summary>
    const double SchedulerPass = 0.25;

    [Fact]
    public async Task Sweep_on_two_workers_overlaps_trials_stops_poor_ones_by_asha_scores_the_test_set_once_and_serves_a_job_submitted_mid_sweep_first()
    {
        var clock = Stopwatch.StartNew();
        var (dir, model, dataset) = Setup(200);
        // Grid order, last dimension fastest: trials 0 and 1 learn (rate 1e-2), trials 2 and 3 barely move (1e-6) and
        // reach rung 0 (1 evaluation) after the first two recorded theirs.
        var file = WriteSweep(dir, model, dataset, 4, "  learning_rate: {choice: [0.05, 0.000001]}\n  warmup_ratio: {choice: [0.0, 0.1]}",
            "{type: asha, grace_period: 1, reduction_factor: 2, max_t: 2}");
        using var cluster = new ClusterProcesses(2, 1, FastFaults);
        using var watcher = new JobWatcher(cluster.Url);
        using var cli = FinetuneProcess.Start(null, "sweep", "submit", "-f", file, "--wait", "--json", "--coordinator", cluster.Url);
        var stdout = cli.StandardOutput.ReadToEndAsync();
        var stderr = cli.StandardError.ReadToEndAsync();

        // Once two trials run side by side, an ordinary 1-worker job arrives: it must go before trials 2 and 3.
        var wait = Stopwatch.StartNew();
        while (watcher.Together.IsEmpty)
        {
            if (wait.Elapsed > TimeSpan.FromMinutes(2) || cli.HasExited) Assert.Fail($"no two trials ran together\n{await stderr}\n{cluster.Logs()}");
            await Task.Delay(50);
        }
        var ordinary = ClusterJobs.Submit(cluster, "--model", model, "--dataset", dataset, "--workers", "1", "--max-length", "32",
            "--learning-rate", "1e-2", "--max-steps", "10", "--eval-strategy", "no");
        if (!cli.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            cli.Kill(entireProcessTree: true);
            Assert.Fail($"sweep submit --wait still runs after 3 minutes\n{cluster.Logs()}");
        }
        var (output, errors) = (await stdout, await stderr);
        Assert.True(cli.ExitCode == 0, $"exit {cli.ExitCode}: {errors}\n{output}\n{cluster.Logs()}");
        var sweep = Sweep.Parser.ParseJson(output);
        Console.WriteLine($"sweep: {output}");

        using var channel = GrpcChannel.ForAddress(cluster.Url);
        var api = new Jobs.JobsClient(channel);
        Assert.Equal("succeeded", sweep.State);
        Assert.Equal(4, sweep.PlannedTrials);
        Assert.Equal(4, sweep.Trials.Count);
        var jobs = sweep.Trials.Select(t => api.GetJob(new GetJobRequest { JobId = t.JobId })).ToArray();

        // Every trial is an ordinary job of the sweep, reading the sweep's trials folder, never its test folder.
        var data = Path.Combine(cluster.Root, "coordinator", "sweeps", sweep.Id, "data");
        Assert.All(jobs, j => Assert.Equal(sweep.Id, j.SweepId));
        Assert.All(jobs, j => Assert.Equal(Path.Combine(data, "trials"), j.Options["dataset"].TrimEnd('/')));
        Assert.All(jobs, j => Assert.DoesNotContain("test", j.Options.GetValueOrDefault("eval_dataset") ?? ""));

        // Two trials ran at the same time: seen running at one poll, and their recorded intervals intersect.
        Assert.Contains(watcher.Together, set => set.Contains(jobs[0].Id) && set.Contains(jobs[1].Id));
        Assert.True(sweep.Trials[0].StartedUnixMs < sweep.Trials[1].EndedUnixMs && sweep.Trials[1].StartedUnixMs < sweep.Trials[0].EndedUnixMs, sweep.ToString());

        // ASHA: the trials its rule stops, from the recorded first evaluations in arrival order, end stopped with the reason.
        var record = SweepJson(cluster, sweep.Id);
        var reports = record["asha_reports"]!.AsArray();
        var stops = ExpectedStops(reports, gracePeriod: 1, reductionFactor: 2, maxT: 2);
        Console.WriteLine($"asha reports {reports.ToJsonString()}: stops {string.Join(",", stops)}");
        Assert.True(stops.Count > 0, $"the setup must make ASHA stop a trial: reports {reports.ToJsonString()}");
        foreach (var t in sweep.Trials)
            if (stops.Contains(t.Index))
            {
                Assert.True(t.State == "stopped", $"trial {t.Index}: {t}");
                Assert.StartsWith("asha: eval_accuracy", t.Reason);
                // Its job stopped with the same reason; or, a tiny trial being quick, it had ended before the decision reached it.
                if (t.Reason.EndsWith("(its job had already ended)", StringComparison.Ordinal)) Assert.Equal(JobState.Succeeded, jobs[t.Index].StateCode);
                else Assert.Equal((JobState.Stopped, t.Reason), (jobs[t.Index].StateCode, jobs[t.Index].StopReason));
                Assert.Single(t.Evaluations); // stopped at its first rung
            }
            else Assert.True(t.State == "succeeded", $"trial {t.Index}: {t}");

        // The best trial is the best completed score; only its output is kept.
        var completed = sweep.Trials.Where(t => t.State == "succeeded").ToList();
        var best = completed.MaxBy(t => t.Metric)!;
        Assert.Equal(completed.Max(t => t.Metric), sweep.Trials[sweep.BestTrial].Metric);
        Assert.Equal("succeeded", sweep.Trials[sweep.BestTrial].State);
        Assert.All(jobs.Where(j => j.Id != sweep.Trials[sweep.BestTrial].JobId && j.OutputDir.Length > 0), j => Assert.False(Directory.Exists(j.OutputDir), j.OutputDir));

        // The test set: scored once, and disjoint from the trials' train and validation rows, which together are the data.
        Assert.Equal(40, sweep.TestMetrics["test_samples"]); // eval_split 0.2 of 200 rows
        Assert.InRange(sweep.TestMetrics["test_accuracy"], 0, 1);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(cluster.Log("coordinator"), $"sweep {sweep.Id}: best trial [0-9]+, test "));
        // ... by a one-rank job of kind evaluate on a worker: the best trial's model on the test folder, read there once.
        var scoring = api.GetJob(new GetJobRequest { JobId = sweep.TestJobId });
        Assert.Equal(("evaluate", sweep.Id, JobState.Succeeded, 1), (scoring.Kind, scoring.SweepId, scoring.StateCode, scoring.Workers.Count));
        Assert.Equal((jobs[sweep.BestTrial].OutputDir, Path.Combine(data, "test")), (scoring.Options["model"].TrimEnd('/'), scoring.Options["dataset"].TrimEnd('/')));
        var evaluated = System.Text.RegularExpressions.Regex.Matches(cluster.Log(scoring.Workers[0]), $"job {scoring.Id}: evaluated ([0-9]+) examples");
        Assert.Equal(["40"], evaluated.Select(m => m.Groups[1].Value));
        Assert.Equal(sweep.TestMetrics["test_accuracy"], (double)JsonNode.Parse(scoring.Json)!["metrics"]!["eval_accuracy"]!);
        string Text(string line) => (string)JsonNode.Parse(line)!["text"]!;
        var train = Lines(Path.Combine(data, "trials", "train.jsonl")).Select(Text).ToHashSet();
        var validation = Lines(Path.Combine(data, "trials", "validation.jsonl")).Select(Text).ToHashSet();
        var test = Lines(Path.Combine(data, "test", "test.jsonl")).Select(Text).ToHashSet();
        Assert.Equal((128, 32, 40), (train.Count, validation.Count, test.Count));
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(train.Intersect(test));
        Assert.Empty(validation.Intersect(test));
        Assert.Equal(Lines(dataset).Select(Text).Order(), train.Concat(validation).Concat(test).Order());

        // `finetune download SWEEP_ID` gives the best trial's model.
        var download = Path.Combine(dir, "download");
        var d = FinetuneProcess.Run("download", sweep.Id, "--output", download, "--coordinator", cluster.Url);
        Assert.True(d.ExitCode == 0, d.Stderr);
        var bestJob = jobs[sweep.BestTrial];
        Assert.Equal(Sha(Path.Combine(bestJob.OutputDir, "model.safetensors")), Sha(Path.Combine(download, "model.safetensors")));
        // ... with the sweep's report: a row per trial, the best and its test score, the metric's plot.
        var report = File.ReadAllText(Path.Combine(download, "sweep_report.md"));
        Assert.Equal(sweep.Trials.Count, report.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && char.IsAsciiDigit(l[2])));
        Assert.Contains($"**Best: trial {sweep.BestTrial}**", report);
        Assert.Contains($"accuracy {sweep.TestMetrics["test_accuracy"].ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)}", report);
        Assert.True(File.Exists(Path.Combine(download, "sweep_metric.png")));

        // `sweep status` and `sweep list` show the same sweep.
        var status = FinetuneProcess.Run("sweep", "status", sweep.Id, "--json", "--coordinator", cluster.Url);
        Assert.True(status.ExitCode == 0, status.Stderr);
        Assert.Equal(sweep, Sweep.Parser.ParseJson(status.Stdout));
        var watched = FinetuneProcess.Run("sweep", "watch", sweep.Id, "--json", "--coordinator", cluster.Url); // an ended sweep: at once
        Assert.True(watched.ExitCode == 0, watched.Stderr);
        Assert.Equal(sweep, Sweep.Parser.ParseJson(watched.Stdout));
        var unknown = FinetuneProcess.Run("sweep", "watch", "sweep-nope", "--coordinator", cluster.Url);
        Assert.Equal((2, "error: no sweep 'sweep-nope'"), (unknown.ExitCode, unknown.Stderr.Trim()));
        var list = FinetuneProcess.Run("sweep", "list", "--json", "--coordinator", cluster.Url);
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Equal([sweep.Id], JsonNode.Parse(list.Stdout)!.AsArray().Select(x => (string)x!["id"]!));

        // The ordinary job submitted mid-sweep was created before trials 2 and 3 and started running no later than they did
        // (at the same poll when trials 0 and 1 freed both workers at once: it took the first, trial 2 the other). The
        // scheduler gives workers only to jobs whose data is ready, once a pass (250 ms): when both freed workers come in
        // the pass before the ordinary job's data is, the trial takes one and the job the other at the next pass.
        var job = api.GetJob(new GetJobRequest { JobId = ordinary });
        Assert.Equal("", job.SweepId);
        Assert.Equal(JobState.Succeeded, job.StateCode);
        Assert.True(job.CreatedUnixMs < jobs[2].CreatedUnixMs, $"{job.CreatedUnixMs} {jobs[2].CreatedUnixMs}");
        Assert.True(watcher.FirstRunning.ContainsKey(ordinary), "the ordinary job was never seen running");
        foreach (var later in jobs.Skip(2).Where(j => watcher.FirstRunning.ContainsKey(j.Id)))
            Assert.True(watcher.FirstRunning[ordinary] <= watcher.FirstRunning[later.Id] + SchedulerPass, $"{ordinary} at {watcher.FirstRunning[ordinary]} s, {later.Id} at {watcher.FirstRunning[later.Id]} s");
        Console.WriteLine($"sweep on 2 workers: {clock.Elapsed.TotalSeconds:0} s; best trial {best.Index} {best.Metric}; test {sweep.TestMetrics}");
    }

    [Fact]
    public void Coordinator_killed_mid_sweep_resumes_it_keeps_finished_trials_recovers_running_ones_and_creates_the_rest()
    {
        var clock = Stopwatch.StartNew();
        var (dir, model, dataset) = Setup(200);
        var file = WriteSweep(dir, model, dataset, 3, "  learning_rate: {choice: [0.05, 0.02, 0.01]}", earlyStopping: null,
            batchSize: 8); // 16 steps an epoch: time to catch the first two trials mid-run
        using var cluster = new ClusterProcesses(2, 1, FastFaults, workerEnvironment: SlowSteps);
        var r = FinetuneProcess.Run("sweep", "submit", "-f", file, "--json", "--coordinator", cluster.Url);
        Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{cluster.Logs()}");
        var id = Sweep.Parser.ParseJson(r.Stdout).Id;
        using var channel = GrpcChannel.ForAddress(cluster.Url);
        var api = new Jobs.JobsClient(channel);

        // Kill the coordinator while the first trials run, after the sweep recorded a first evaluation (epoch 1 of 2), before
        // the third trial is created.
        Sweep before;
        Job[] running;
        var wait = Stopwatch.StartNew();
        while (true)
        {
            before = api.GetSweep(new GetSweepRequest { SweepId = id });
            running = [.. before.Trials.Select(t => api.GetJob(new GetJobRequest { JobId = t.JobId })).Where(j => j.StateCode == JobState.Running)];
            if (running.Length > 0 && before.Trials.Any(t => t.State == "running" && t.Evaluations.Count == 1)) break;
            Assert.True(wait.Elapsed < TimeSpan.FromMinutes(2), $"no trial stepping: {before}\n{cluster.Logs()}");
            Thread.Sleep(100);
        }
        Assert.True(before.Trials.Count == 2, $"the third trial exists before the kill: {before}");
        cluster.KillCoordinator();
        long killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var endedBefore = before.Trials.Where(t => t.State != "running").Select(t => (t.Index, t.State, t.Metric)).ToList();
        cluster.StartCoordinator();

        Sweep after;
        wait.Restart();
        do
        {
            Thread.Sleep(300);
            after = api.GetSweep(new GetSweepRequest { SweepId = id });
            Assert.True(wait.Elapsed < TimeSpan.FromMinutes(3), $"the sweep is {after.State} 3 minutes after the restart: {after}\n{cluster.Logs()}");
        } while (after.State is "preparing" or "running" or "scoring");
        Console.WriteLine($"after the restart: {after}");

        Assert.True(after.State == "succeeded", $"{after}\n{cluster.Logs()}");
        Assert.Equal(3, after.Trials.Count);
        Assert.All(after.Trials, t => Assert.Equal("succeeded", t.State));
        // One evaluation per epoch, each counted once, however the trial's job was recovered.
        Assert.All(after.Trials, t => Assert.True(t.Evaluations.Count == 2, $"trial {t.Index}: {t}"));
        // Trials that had ended before the kill are kept as they were.
        foreach (var (index, state, metric) in endedBefore)
            Assert.Equal((state, metric), (after.Trials[index].State, after.Trials[index].Metric));
        // The trials running at the kill were recovered as ordinary jobs, in the same trial.
        foreach (var job in running)
        {
            var now = api.GetJob(new GetJobRequest { JobId = job.Id });
            var recoveries = JsonNode.Parse(now.Json)!["recoveries"]!.AsArray();
            Assert.True(recoveries.Count >= 1, $"{job.Id}: {now.Json}\n{cluster.Logs()}");
            Assert.Equal("the coordinator restarted", (string)recoveries[0]!["reason"]!);
            Assert.Equal(job.Id, after.Trials.Single(t => t.JobId == job.Id).JobId);
        }
        // The last trial was created after the restart, and the best model scored on the test set.
        Assert.True(after.Trials[2].StartedUnixMs > killedAt, $"trial 2 created at {after.Trials[2].StartedUnixMs}, killed at {killedAt}");
        Assert.Equal(40, after.TestMetrics["test_samples"]);
        Console.WriteLine($"sweep with a coordinator restart: {clock.Elapsed.TotalSeconds:0} s");
    }

    [Fact]
    public void Cancelling_a_trials_job_counts_as_a_stopped_trial_and_the_sweep_goes_on()
    {
        var (dir, model, dataset) = Setup(200);
        var file = WriteSweep(dir, model, dataset, 3, "  learning_rate: {choice: [0.05, 0.02, 0.01]}", earlyStopping: null, batchSize: 8);
        using var cluster = new ClusterProcesses(2, 1, FastFaults, workerEnvironment: SlowSteps);
        var r = FinetuneProcess.Run("sweep", "submit", "-f", file, "--json", "--coordinator", cluster.Url);
        Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{cluster.Logs()}");
        var id = Sweep.Parser.ParseJson(r.Stdout).Id;
        using var channel = GrpcChannel.ForAddress(cluster.Url);
        var api = new Jobs.JobsClient(channel);
        Sweep sweep;
        var wait = Stopwatch.StartNew();
        while ((sweep = api.GetSweep(new GetSweepRequest { SweepId = id })).Trials.Count == 0)
        {
            Assert.True(wait.Elapsed < TimeSpan.FromMinutes(1), $"no trial: {sweep}\n{cluster.Logs()}");
            Thread.Sleep(100);
        }
        var job = sweep.Trials[0].JobId;
        var c = FinetuneProcess.Run("cancel", job, "--coordinator", cluster.Url);
        Assert.True(c.ExitCode == 0, c.Stderr);
        wait.Restart();
        while ((sweep = api.GetSweep(new GetSweepRequest { SweepId = id })).State is "preparing" or "running" or "scoring")
        {
            Assert.True(wait.Elapsed < TimeSpan.FromMinutes(2), $"the sweep is {sweep.State}: {sweep}\n{cluster.Logs()}");
            Thread.Sleep(300);
        }
        Assert.True(sweep.State == "succeeded", $"{sweep}\n{cluster.Logs()}");
        Assert.Equal(3, sweep.Trials.Count);
        Assert.Equal(("stopped", $"its job {job} was cancelled"), (sweep.Trials[0].State, sweep.Trials[0].Reason));
        Assert.Equal(JobState.Cancelled, api.GetJob(new GetJobRequest { JobId = job }).StateCode);
        Assert.All(sweep.Trials.Skip(1), t => Assert.Equal("succeeded", t.State));
        Assert.NotEqual(0, sweep.BestTrial);
    }

    static string Sha(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
