using System.Collections.Concurrent;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;

namespace FineTune.Core.Tests.Coordination;

/// <summary>
/// Reports, heartbeats, cancels, early stops, recoveries and the scheduler from many threads at once against the
/// coordinator's job machinery (manual clock), with the invariants checked after every committed update, under the
/// store's lock.
/// </summary>
public class LifecycleHammerTests
{
    static readonly HashSet<(JobState, JobState)> Allowed =
    [
        (JobState.Queued, JobState.Preparing), (JobState.Queued, JobState.Failed), (JobState.Queued, JobState.Cancelled), (JobState.Queued, JobState.Stopped),
        (JobState.Preparing, JobState.Running), (JobState.Preparing, JobState.Recovering), (JobState.Preparing, JobState.Failed), (JobState.Preparing, JobState.Cancelled),
        (JobState.Preparing, JobState.Stopped),
        (JobState.Running, JobState.Succeeded), (JobState.Running, JobState.Recovering), (JobState.Running, JobState.Failed), (JobState.Running, JobState.Cancelled),
        (JobState.Running, JobState.Stopped),
        (JobState.Recovering, JobState.Preparing), (JobState.Recovering, JobState.Failed), (JobState.Recovering, JobState.Cancelled), (JobState.Recovering, JobState.Stopped),
    ];

    [ThreadStatic] static bool staleReport; // set by a thread while it sends a report of an old generation

    [Fact]
    public void Every_update_keeps_the_invariants_under_concurrent_reports_heartbeats_cancels_and_recoveries()
    {
        var c = new InProcessCoordinator();
        var violations = new ConcurrentQueue<string>();
        var seen = new Dictionary<string, (JobState State, long Generation)>(); // under the store's lock
        int updates = 0;
        c.Jobs.Updated += (job, before, persisted) =>
        {
            updates++;
            if (staleReport) violations.Enqueue($"{job.Id}: a report of an old generation changed the job");
            var (last, generation) = seen.GetValueOrDefault(job.Id, (before, 0L));
            if (job.State != last && !Allowed.Contains((last, job.State))) violations.Enqueue($"{job.Id}: {last} -> {job.State}");
            if (job.Generation < generation) violations.Enqueue($"{job.Id}: generation {generation} -> {job.Generation}");
            seen[job.Id] = (job.State, job.Generation);
            var file = Path.Combine(c.Options.JobsDir, job.Id, "job.json");
            if (persisted && File.ReadAllText(file) != JobFile.Write(job)) violations.Enqueue($"{job.Id}: job.json differs from the record after an update");
            var holders = c.Jobs.All().Where(j => j.HasGroup).SelectMany(j => j.Workers.Select(w => (Worker: w, Job: j.Id))).GroupBy(x => x.Worker).Where(g => g.Count() > 1);
            foreach (var g in holders) violations.Enqueue($"{g.Key} held by {string.Join(" and ", g.Select(x => x.Job))}");
        };

        var workers = Enumerable.Range(0, 6).Select(i => c.Join($"worker-{i}")).ToList();
        int nextJob = 0;
        void Submit() => c.Submit(workers: 1 + nextJob % 2, minWorkers: 1, id: $"job-{Interlocked.Increment(ref nextJob):D3}");
        for (int i = 0; i < 4; i++) Submit();

        var stop = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        var errors = new ConcurrentQueue<Exception>();
        var threads = new List<Thread>();
        void Loop(int seed, Action<Random> body)
        {
            var thread = new Thread(() =>
            {
                var random = new Random(seed);
                try
                {
                    while (DateTime.UtcNow < stop) body(random);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            });
            threads.Add(thread);
            thread.Start();
        }

        var assignments = new ConcurrentDictionary<string, Assignment>();
        Loop(1, _ => c.Scheduler.Tick().GetAwaiter().GetResult());
        Loop(2, random =>
        {
            var w = workers[random.Next(workers.Count)];
            if (assignments.TryGetValue(w.Id, out var a) && !c.Busy(w, a)) return;
            assignments.TryRemove(w.Id, out _);
            if (c.Idle(w) is { } next) assignments[w.Id] = next;
        });
        Loop(3, random => Report(c, random));
        Loop(4, random => Report(c, random));
        Loop(5, random =>
        {
            if (c.Jobs.All().Count(j => !j.IsTerminal) < 4) Submit(); // jobs end (cancelled, failed, out of restarts): keep four going
            var job = Pick(c, random);
            switch (random.Next(20))
            {
                case 0: if (job is not null) c.Lifecycle.Cancel(job); break;
                case 3: if (job is not null) c.Lifecycle.Stop(job, "hammered early stop"); break;
                case 1 or 2: if (job is not null) c.Lifecycle.Recover(job, "hammered"); break;
                default: c.Clock.Advance(TimeSpan.FromMilliseconds(random.Next(100))); break;
            }
            Thread.Sleep(1);
        });
        foreach (var t in threads) t.Join();

        Assert.Empty(errors);
        Assert.Empty(violations);
        // Each durable update waits for job.json to reach the disk (fsync): 40 to 150 in 2 s here, fewer beside other tests.
        Assert.True(updates > 25, $"only {updates} updates: the hammer hardly hit anything");
        Assert.Contains(c.Jobs.All(), j => j.Restarts > 0); // groups formed, broke and were fenced off
        Assert.Contains(c.Jobs.All(), j => j.Generation > 0);
        Assert.Contains(c.Jobs.All(), j => j.State == JobState.Cancelled);
        Assert.Contains(c.Jobs.All(), j => j.State == JobState.Stopped);
        foreach (var job in c.Jobs.All()) c.Lifecycle.Cancel(job);
        Assert.Equal(0, c.Completion.Pending); // every generation ended: nothing kept for any of them
    }

    static JobRecord? Pick(InProcessCoordinator c, Random random) =>
        c.Jobs.All().Where(j => !j.IsTerminal).ToList() is { Count: > 0 } live ? live[random.Next(live.Count)] : null;

    /// <summary>A rank's report of the job's current generation, or (one in three) of the one before it.</summary>
    static void Report(InProcessCoordinator c, Random random)
    {
        if (Pick(c, random) is not { } job) return;
        var (generation, workers) = c.Jobs.Read(() => (job.Generation, job.Workers.Count));
        bool stale = random.Next(3) == 0 && generation > 1;
        long gen = stale ? generation - 1 : generation;
        int rank = random.Next(Math.Max(1, workers));
        staleReport = stale;
        try
        {
            bool changed = random.Next(6) switch
            {
                0 or 1 => c.Lifecycle.OnStep(job, gen, new StepEvent { Step = random.Next(1, 100), MaxSteps = 100 }),
                2 => c.Lifecycle.OnLog(job, gen, new LogEvent { Step = random.Next(100), Epoch = 0.5 }),
                3 => c.Lifecycle.OnRankFailed(job, gen, new RankFailure(rank, null, $"IOException: fault {random.Next(50)}", random.Next(100), Recoverable: true)),
                4 => Checksum(c, job, gen, rank),
                _ => c.Lifecycle.OnPreempted(job, gen, "hammered preemption"),
            };
            if (stale && changed) throw new InvalidOperationException($"{job.Id}: a report of generation {gen} (now {generation}) was taken");
        }
        finally
        {
            staleReport = false;
        }
    }

    static bool Checksum(InProcessCoordinator c, JobRecord job, long generation, int rank)
    {
        c.Completion.OnChecksum(job, generation, rank, new ParameterChecksum { Step = 10, Sha256 = new string('a', 64) });
        return false;
    }
}
