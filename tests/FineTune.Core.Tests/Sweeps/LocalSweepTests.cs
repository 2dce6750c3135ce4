using System.Text.Json.Nodes;
using FineTune.Core.Sweeps;
using FineTune.Core.Tests.Modeling;
using FineTune.Core.Tests.Training;
using Xunit.Abstractions;

namespace FineTune.Core.Tests.Sweeps;

/// <summary>
/// `finetune sweep` in one process on a tiny BERT: trials one after another on the train and validation splits, ASHA's
/// decisions taken from the recorded values, the best trial's model kept as the output, and the test set, disjoint from
/// what the trials saw, scored once on it.
/// </summary>
public sealed class LocalSweepTests(ITestOutputHelper output)
{
    [Fact]
    public void A_local_sweep_runs_its_trials_stops_the_poor_one_and_scores_the_test_set_once_on_the_best()
    {
        var (model, _, folder) = TinyJobs.Setup();
        var dir = Path.GetDirectoryName(folder)!;
        var dataset = WriteUniqueRows(Path.Combine(dir, "rows.jsonl"), 200);
        var sweepFile = Path.Combine(dir, "sweep.yaml");
        File.WriteAllText(sweepFile, $$"""
            base:
              model: {{model}}
              dataset: {{dataset}}
              eval_split: 0.2
              num_train_epochs: 3
              per_device_train_batch_size: 8
              max_length: 32
              threads: 1
              logging_steps: 5
            metric: eval_loss
            sampler: grid
            trials: 3
            early_stopping: {type: asha, grace_period: 1, max_t: 3, reduction_factor: 2}
            validation_split: 0.25
            seed: 7
            space:
              learning_rate: {choice: [1.0e-2, 1.0e-7, 3.0e-3]}
            """);
        var spec = SweepSpec.Read(sweepFile);
        var lines = new List<string>();
        var result = LocalSweep.Run(spec, folder, line => { lines.Add(line); output.WriteLine(line); });

        // The splits: 40 test rows (eval_split 0.2), 40 validation rows (0.25 of the rest), 120 train rows, disjoint.
        var train = Rows(Path.Combine(folder, "data", SweepSplits.TrialsFolderName, "train.jsonl"));
        var validation = Rows(Path.Combine(folder, "data", SweepSplits.TrialsFolderName, "validation.jsonl"));
        var test = Rows(Path.Combine(folder, "data", SweepSplits.TestFolderName, "test.jsonl"));
        Assert.Equal((120, 40, 40), (train.Count, validation.Count, test.Count));
        Assert.Empty(train.Intersect(test));
        Assert.Empty(validation.Intersect(test));
        Assert.Empty(train.Intersect(validation));

        // ASHA's decision at rung 1 (grace_period 1, eta 2): a trial stops when its first eval_loss is worse than the
        // median of those recorded there before it; the decisions follow from the recorded values.
        Assert.Equal(3, result.Trials.Count);
        var first = result.Trials.Select(t => t.Points[0].Value).ToList();
        for (int i = 1; i < 3; i++)
        {
            var cutoff = Median(first.Take(i));
            Assert.Equal(first[i] > cutoff ? TrialStates.Stopped : TrialStates.Succeeded, result.Trials[i].State);
        }
        Assert.Equal(TrialStates.Succeeded, result.Trials[0].State);
        Assert.Contains(result.Trials, t => t.State == TrialStates.Stopped); // a rate of 1e-7 does not move the loss
        var stopped = result.Trials.First(t => t.State == TrialStates.Stopped);
        Assert.Equal(1, stopped.Evaluations);
        Assert.StartsWith("asha: eval_loss", stopped.Reason);

        // The best trial: the lowest last eval_loss among the completed; its model is the output; the others are gone.
        var best = result.Trials.Where(t => t.State == TrialStates.Succeeded).MinBy(t => t.Value!.Value)!;
        Assert.Same(best, result.Best);
        Assert.True(File.Exists(Path.Combine(folder, LocalSweep.BestFolder, "config.json")));
        Assert.False(Directory.Exists(Path.Combine(folder, "trials")));
        var checkpoint = Directory.GetDirectories(Path.Combine(folder, LocalSweep.BestFolder), "checkpoint-*").Single(); // save_total_limit 1
        var trained = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "training_args.json")))!;
        Assert.Equal(Path.Combine(folder, "data", SweepSplits.TrialsFolderName), (string?)trained["dataset"]);
        Assert.Null((string?)trained["eval_dataset"]);

        // The test set: scored once, on the best model, over its 40 rows.
        Assert.Equal(40, result.Test![TestScores.Samples]);
        Assert.Single(lines, l => l.StartsWith("test set", StringComparison.Ordinal));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, SweepReport.JsonFile)))!;
        Assert.Equal(best.Index, (int)json["best"]!["trial"]!);
        Assert.Equal(result.Test[TestScores.Accuracy], (double)json["best"]!["test"]!["test_accuracy"]!);
        var report = File.ReadAllText(Path.Combine(folder, SweepReport.MarkdownFile));
        Assert.Equal(3, report.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && char.IsAsciiDigit(l[2])));
        Assert.True(File.Exists(Path.Combine(folder, SweepReport.PlotFile)));
        Assert.Equal(report, File.ReadAllText(Path.Combine(folder, LocalSweep.BestFolder, SweepReport.MarkdownFile))); // the sweep's output carries its report
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        double rank = 0.5 * (sorted.Count - 1);
        int low = (int)Math.Floor(rank);
        return sorted[low] + (rank - low) * (sorted[Math.Min(low + 1, sorted.Count - 1)] - sorted[low]);
    }

    static HashSet<string> Rows(string path) => [.. File.ReadAllLines(path).Select(l => (string)JsonNode.Parse(l)!["text"]!)];

    /// <summary>A learnable two-class set whose every text is unique (it ends with its row number), so splits can be compared.</summary>
    static string WriteUniqueRows(string path, int count)
    {
        var source = File.ReadAllLines(TinyJobs.WriteDataset(Path.GetDirectoryName(path)!, count));
        File.WriteAllLines(path, source.Select((line, i) =>
        {
            var row = JsonNode.Parse(line)!.AsObject();
            row["text"] = $"{row["text"]} {TinyModels.Vocab[^1]} {i}";
            return row.ToJsonString();
        }));
        return path;
    }
}
