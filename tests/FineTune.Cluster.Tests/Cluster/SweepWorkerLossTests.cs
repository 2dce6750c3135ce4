using System.Diagnostics;
using System.Text.Json.Nodes;
using FineTune.Cluster.Tests.Cli;
using FineTune.Contracts.V1;
using FineTune.Core.Tests.Training;
using Grpc.Net.Client;
using static FineTune.Cluster.Tests.Cluster.SweepCluster;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// A sweep's trial whose worker dies mid-run (SIGKILL, a machine failure) is recovered as an ordinary job: the same job,
/// on a spare worker, from its checkpoint; the trial still counts one evaluation per epoch and the sweep ends as usual.
/// A coordinator and 3 workers of 1 thread as processes, a tiny BERT, 2 trials of 32 steps.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class SweepWorkerLossTests
{
    [Fact]
    public void Worker_killed_mid_trial_is_replaced_and_the_trial_recovers_in_the_same_job_with_its_evaluations_counted_once()
    {
        var clock = Stopwatch.StartNew();
        var (dir, model, dataset) = Setup(200);
        // 2 trials on 3 workers: the third is the spare the killed trial recovers on, at once.
        var file = WriteSweep(dir, model, dataset, 2, "  learning_rate: {choice: [0.05, 0.02]}", earlyStopping: null,
            batchSize: 8); // 16 steps an epoch: time to catch a trial between its two evaluations
        using var cluster = new ClusterProcesses(3, 1, FastFaults, workerEnvironment: SlowSteps);
        var r = FinetuneProcess.Run("sweep", "submit", "-f", file, "--json", "--coordinator", cluster.Url);
        Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{cluster.Logs()}");
        var id = Sweep.Parser.ParseJson(r.Stdout).Id;
        using var channel = GrpcChannel.ForAddress(cluster.Url);
        var api = new Jobs.JobsClient(channel);

        // A trial that recorded its first evaluation (epoch 1 of 2) and whose job still runs: kill its one worker.
        Sweep before;
        Job? victim;
        var wait = Stopwatch.StartNew();
        while (true)
        {
            before = api.GetSweep(new GetSweepRequest { SweepId = id });
            victim = before.Trials.Where(t => t.State == "running" && t.Evaluations.Count == 1)
                .Select(t => api.GetJob(new GetJobRequest { JobId = t.JobId }))
                .FirstOrDefault(j => j.StateCode == JobState.Running && j.Workers.Count == 1 && j.GlobalStep < j.MaxSteps);
            if (victim is not null) break;
            Assert.True(wait.Elapsed < TimeSpan.FromMinutes(2), $"no trial caught between its evaluations: {before}\n{cluster.Logs()}");
            Thread.Sleep(100);
        }
        var lost = victim.Workers[0];
        var index = before.Trials.Single(t => t.JobId == victim.Id).Index;
        cluster.KillWorker(lost);
        Console.WriteLine($"killed {lost} running trial {index} ({victim.Id}) at step {victim.GlobalStep}/{victim.MaxSteps}, {clock.Elapsed.TotalSeconds:0.0} s in");

        Sweep after;
        wait.Restart();
        do
        {
            Thread.Sleep(300);
            after = api.GetSweep(new GetSweepRequest { SweepId = id });
            Assert.True(wait.Elapsed < TimeSpan.FromMinutes(2), $"the sweep is {after.State} 2 minutes after the kill: {after}\n{cluster.Logs()}");
        } while (after.State is "preparing" or "running" or "scoring");
        Console.WriteLine($"after the kill: {after}");

        Assert.True(after.State == "succeeded", $"{after}\n{cluster.Logs()}");
        // No trial was added for the lost one: the plan holds, and the trial's job is the one that lost its worker.
        Assert.Equal(2, after.PlannedTrials);
        Assert.Equal(2, after.Trials.Count);
        var trial = after.Trials[index];
        Assert.Equal(victim.Id, trial.JobId);
        // The sweep's jobs: its two trials' and the test set's one scoring (kind evaluate).
        var sweepJobs = api.ListJobs(new ListJobsRequest()).Jobs.Where(j => j.SweepId == id).ToList();
        Assert.Equal(after.Trials.Select(t => t.JobId).Order(), sweepJobs.Where(j => j.Kind == "train").Select(j => j.Id).Order());
        Assert.Equal([after.TestJobId], sweepJobs.Where(j => j.Kind == "evaluate").Select(j => j.Id));

        // The job recovered from the lost worker (the scheduler's heartbeat check, FastFaults' 5 s) on another worker.
        var job = api.GetJob(new GetJobRequest { JobId = victim.Id });
        var recoveries = JsonNode.Parse(job.Json)!["recoveries"]!.AsArray();
        Assert.True(recoveries.Count >= 1, $"{job.Json}\n{cluster.Logs()}");
        Assert.Equal($"lost {lost} (no heartbeat for 5 s)", (string)recoveries[0]!["reason"]!);
        Assert.Equal(JobState.Succeeded, job.StateCode);
        Assert.DoesNotContain(lost, job.Workers);

        // The trial ended well, with one evaluation per epoch: none counted twice from the steps replayed after the checkpoint.
        Assert.True(trial.State == "succeeded", $"trial {index}: {trial}");
        Assert.All(after.Trials, t => Assert.True(t.Evaluations.Count == 2, $"trial {t.Index}: {t}"));
        Assert.Equal(40, after.TestMetrics["test_samples"]); // eval_split 0.2 of 200 rows
        // The job's history shows each evaluation once, whether the new group resumed from the epoch-1 checkpoint or (when
        // it had not reached the coordinator yet) from the start and logged step 16 again: replayed steps replace theirs.
        var evaluated = JsonNode.Parse(job.Json)!["history"]!.AsArray().Where(e => e!["eval_accuracy"] is not null).Select(e => (int)e!["step"]!).ToList();
        Assert.Equal([16, 32], evaluated);
        Console.WriteLine($"sweep with a worker lost: {clock.Elapsed.TotalSeconds:0} s; recovery {recoveries[0]!.ToJsonString()}; evaluations logged at steps {string.Join(",", evaluated)}");
    }
}
