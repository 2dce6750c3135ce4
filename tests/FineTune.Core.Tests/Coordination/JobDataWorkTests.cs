using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core.Tests.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace FineTune.Core.Tests.Coordination;

/// <summary>The data work after Submit: read and tokenized in the background, before any worker is reserved.</summary>
public class JobDataWorkTests
{
    static (InProcessCoordinator C, JobDataWork Work, JobRecord Job, string Dataset) Accepted(int examples)
    {
        var (model, dataset, _) = TinyJobs.Setup(examples);
        var c = new InProcessCoordinator();
        var work = new JobDataWork(c.Jobs, c.Lifecycle, new TokenizationCache(c.Options), c.Options, NullLogger<JobDataWork>.Instance) { ProgressInterval = TimeSpan.Zero };
        var spec = TinyJobs.Args(model, dataset, "unused") with { OutputDir = null };
        JobSpec.Check(spec); // what Submit checks at once
        return (c, work, c.Accept(spec), dataset);
    }

    [Fact]
    public async Task Progress_rises_while_no_worker_is_reserved_and_workers_come_once_the_data_is_ready()
    {
        var (c, work, job, _) = Accepted(20_000);
        var worker = c.Join("worker-0");
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Queued, job.State); // a ready worker, but the data is not
        var events = c.Jobs.Watch(job);
        var seen = new List<(DataProgress Progress, bool WorkerFree)>();
        var reading = Task.Run(() => work.Prepare(job));
        var watching = Task.Run(async () =>
        {
            await foreach (var e in events.ReadAllAsync())
            {
                if (e.EventCase == JobEvent.EventOneofCase.Data) seen.Add((e.Data, worker.JobId is null && c.Preparation.Calls.Count == 0));
                if (e.Job?.Data.Phase == DataPhase.Ready) return;
            }
        });
        await reading;
        await watching.WaitAsync(TimeSpan.FromSeconds(30));

        var read = seen.Where(s => s.Progress.Phase == DataPhase.Reading).Select(s => s.Progress.ExamplesRead).ToList();
        var tokenized = seen.Where(s => s.Progress.Phase == DataPhase.Tokenizing).Select(s => s.Progress.ExamplesTokenized).ToList();
        Assert.True(read.Count >= 4 && read.SequenceEqual(read.Order()) && read[^1] > read[1], $"read: {string.Join(", ", read)}");
        Assert.True(tokenized.Count >= 4 && tokenized.SequenceEqual(tokenized.Order()), $"tokenized: {string.Join(", ", tokenized)}");
        Assert.Equal(20_000, seen.Last(s => s.Progress.Phase == DataPhase.Tokenizing).Progress.ExamplesTotal);
        Assert.Equal(20_000, tokenized[^1]);
        Assert.All(seen, s => Assert.True(s.WorkerFree)); // every progress event came before any worker was reserved
        Assert.True(job.DataReady);
        await c.Scheduler.Tick();
        Assert.Equal(JobState.Running, job.State);
    }

    [Fact]
    public void Bad_data_past_the_rows_submit_checks_fails_the_job_as_invalid_input_naming_the_row()
    {
        var (c, work, job, dataset) = Accepted(400);
        var lines = File.ReadAllLines(dataset);
        lines[300] = "{\"text\": \"fine food\", \"label\": \"\"}";
        File.WriteAllLines(dataset, lines);
        JobSpec.Check(job.Spec); // the first rows are still fine: Submit would accept it
        work.Prepare(job);
        Assert.Equal((JobState.Failed, FailureKind.InvalidInput), (job.State, job.FailureKind));
        Assert.Equal($"{dataset}:301: the label (column 'label') is missing or empty", job.Error);
        Assert.Equal(DataPhase.Failed, JobStore.ToMessage(job).Data.Phase);
        Assert.Equal(2, FailureKinds.ExitCode(JobStore.ToMessage(job).FailureKind));
    }

    [Fact]
    public void A_fault_counts_as_a_recovery_and_the_same_fault_again_fails_the_job()
    {
        var c = new InProcessCoordinator();
        var job = c.Accept(new());
        Assert.True(c.Lifecycle.OnDataFailed(job, new IOException("disk hiccup")));
        Assert.Equal((JobState.Queued, 1), (job.State, job.Restarts));
        Assert.True(c.Lifecycle.OnDataFailed(job, new IOException("another hiccup")));
        Assert.False(c.Lifecycle.OnDataFailed(job, new IOException("disk hiccup")));
        Assert.Equal((JobState.Failed, FailureKind.Fault), (job.State, job.FailureKind));
        Assert.StartsWith("reading the data: IOException: disk hiccup (again, as before recovery 1", job.Error);
        Assert.Equal(1, FailureKinds.ExitCode(job.FailureKind));

        var d = new InProcessCoordinator();
        var other = d.Accept(new());
        for (int i = 0; i < d.Options.MaxRestarts; i++) Assert.True(d.Lifecycle.OnDataFailed(other, new IOException($"fault {i}")));
        Assert.False(d.Lifecycle.OnDataFailed(other, new IOException("one too many")));
        Assert.EndsWith($"gave up after {d.Options.MaxRestarts} recoveries", other.Error);
    }

    [Fact]
    public async Task A_job_cancelled_while_its_data_is_read_stops_the_work()
    {
        var (c, work, job, _) = Accepted(20_000);
        bool cancelled = false;
        c.Jobs.Updated += (j, _, _) =>
        {
            if (j.Data.Phase == DataPhase.Reading && !cancelled) cancelled = c.Lifecycle.Cancel(j); // at the first progress report
        };
        await Task.Run(() => work.Prepare(job)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(cancelled);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.False(job.DataReady);
    }
}
