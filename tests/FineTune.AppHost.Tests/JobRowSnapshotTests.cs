using Aspire.Hosting.ApplicationModel;
using FineTune.AppHost.Dashboard;
using FineTune.Contracts;
using FineTune.Contracts.V1;

namespace FineTune.AppHost.Tests;

/// <summary>A job row built from a Job message alone (what a restarted AppHost rebuilds), and the Report's Markdown.</summary>
public class JobRowSnapshotTests
{
    const string Json = """
        {"id": "job-1", "state": "succeeded", "metrics": {"eval_accuracy": 0.9125, "train_loss": 0.31, "train_samples_per_second": 21.5, "restarts": 1},
         "history": [{"step": 10, "epoch": 0.5, "loss": 0.6}, {"step": 20, "epoch": 1, "eval_loss": 0.4, "eval_accuracy": 0.88, "eval_f1_macro": 0.87},
                     {"step": 40, "epoch": 2, "eval_loss": 0.3, "eval_accuracy": 0.9125, "eval_f1_macro": 0.91}],
         "label_names": ["neg", "pos"], "confusion_matrix": [[40, 4], [3, 33]]}
        """;

    static Job Job(JobState state) => new()
    {
        Id = "job-20261207-1",
        State = state.Name(),
        StateCode = state,
        GlobalStep = 40,
        MaxSteps = 40,
        Json = Json,
        CreatedUnixMs = 1_765_000_000_000,
        Workers = { "worker-0", "worker-1" },
        WorldSize = 2,
        Options = { ["model"] = "google-bert/bert-base-cased", ["dataset"] = "Yelp/yelp_review_full" },
        Push = new JobPush { State = "pushed", Repo = "me/test" },
    };

    [Fact]
    public void Every_job_state_has_its_own_name_and_a_style()
    {
        var states = Enum.GetValues<JobState>().Where(s => s != JobState.Unspecified).ToList();
        Assert.Equal(states.Count, states.Select(s => JobRow.Snapshot(JobRow.Initial, Job(s), hidden: false, "coordinator").State!.Text).Distinct().Count());
        Assert.Equal(KnownResourceStateStyles.Success, JobRow.StyleOf(JobState.Succeeded));
        Assert.Equal(KnownResourceStateStyles.Error, JobRow.StyleOf(JobState.Failed));
        Assert.Equal(KnownResourceStateStyles.Warn, JobRow.StyleOf(JobState.Recovering));
        Assert.Equal(KnownResourceStateStyles.Info, JobRow.StyleOf(JobState.Stopped)); // an expected early end: neither an error nor a warning
    }

    [Fact]
    public void A_row_shows_what_a_person_scans()
    {
        var row = JobRow.Snapshot(JobRow.Initial, Job(JobState.Succeeded), hidden: true, "coordinator");
        string Property(string name) => row.Properties.Single(p => p.Name == name).Value?.ToString() ?? "";
        Assert.Equal(("step 40 / 40", "2", "0.9125", "21.5", "worker-0, worker-1", "1"),
            (Property("job.progress"), Property("job.epoch"), Property("job.eval_accuracy"), Property("job.samples_per_second"), Property("job.workers"), Property("job.restarts")));
        Assert.Equal(("google-bert/bert-base-cased", "Yelp/yelp_review_full", "pushed me/test"), (Property("job.model"), Property("job.dataset"), Property("job.push")));
        Assert.Equal("coordinator", Property(JobRow.ParentProperty)); // nested under the coordinator on the resources page
        Assert.Equal("train", Property("job.kind")); // a coordinator before job kinds sent none
        var test = Job(JobState.Succeeded);
        (test.Kind, test.SweepId) = ("evaluate", "sweep-1");
        string TestProperty(string name) => JobRow.Snapshot(JobRow.Initial, test, false, "coordinator").Properties.Single(p => p.Name == name).Value?.ToString() ?? "";
        Assert.Equal("evaluate", TestProperty("job.kind"));
        Assert.True(row.IsHidden);
        Assert.NotNull(row.StopTimeStamp);
        Assert.Equal("job-20261207-1", JobRow.NameOf("job-20261207-1"));
        Assert.Equal("local-1-x", JobRow.NameOf("local_1.x"));
        Assert.Equal("job-2026", JobRow.NameOf("2026"));
    }

    [Fact]
    public void The_report_has_the_metrics_one_row_per_evaluation_the_confusion_matrix_and_served_plots()
    {
        var md = JobReport.Markdown(Job(JobState.Succeeded), "# Fine-tuning report\n\n![Loss](loss.png)\n", new Uri("http://127.0.0.1:9999/job-1/"));
        Assert.Contains("| eval_accuracy | 0.9125 |", md);
        Assert.Contains("| 1 | 20 | 0.4 | 0.88 | 0.87 |\n| 2 | 40 | 0.3 | 0.9125 | 0.91 |\n", md);
        Assert.Contains("| **neg** | 40 | 4 |\n| **pos** | 3 | 33 |", md);
        Assert.Contains("![Loss](http://127.0.0.1:9999/job-1/loss.png)", md);
    }

    [Fact]
    public void A_sweep_row_sits_under_the_coordinator_with_its_trials_under_it()
    {
        var sweep = new Sweep { Id = "sweep-20261207-1", State = "running", Metric = "eval_accuracy", GreaterIsBetter = true, PlannedTrials = 4, BestTrial = 1 };
        sweep.Trials.Add(new SweepTrial { Index = 0, State = "stopped", Metric = 0.5, HasMetric = true, JobId = "job-a" });
        sweep.Trials.Add(new SweepTrial { Index = 1, State = "succeeded", Metric = 0.9125, HasMetric = true, JobId = "job-b", Params = { ["learning_rate"] = "3E-05" } });
        sweep.Trials.Add(new SweepTrial { Index = 2, State = "running", JobId = "job-c" });
        var row = SweepRow.Snapshot(SweepRow.Initial, sweep, "coordinator-abc");
        string Property(string name) => row.Properties.Single(p => p.Name == name).Value?.ToString() ?? "";
        Assert.Equal(("running", "coordinator-abc"), (row.State!.Text, Property(JobRow.ParentProperty)));
        Assert.Equal("2 ended, 1 running, of 4 (1 stopped early)", Property("sweep.trials"));
        Assert.Equal("trial 1: 0.9125 (learning_rate=3E-05)", Property("sweep.best"));

        var trial = Job(JobState.Running);
        trial.SweepId = sweep.Id;
        Assert.Equal(SweepRow.NameOf(sweep.Id), JobRow.ParentOf(trial, "coordinator-abc")); // trials nest under their sweep
        Assert.Equal("coordinator-abc", JobRow.ParentOf(Job(JobState.Running), "coordinator-abc"));
        Assert.Equal((KnownResourceStateStyles.Success, KnownResourceStateStyles.Error, KnownResourceStateStyles.Warn),
            (SweepRow.StyleOf("succeeded"), SweepRow.StyleOf("failed"), SweepRow.StyleOf("cancelled")));
    }
}
