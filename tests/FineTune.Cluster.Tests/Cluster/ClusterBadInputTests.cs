using FineTune.Cli.Commands;
using FineTune.Contracts.V1;
using FineTune.Core.Arguments;
using Grpc.Core;
using Xunit.Abstractions;
using static FineTune.Cluster.Tests.Cluster.CoordinatorCalls;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// Bad input through the gRPC API and the CLI: INVALID_ARGUMENT (CLI exit code 2) naming the field or file, no job
/// created (so no worker could ever start it), the earlier job untouched; requests get their status codes; a seeded
/// fuzz of a few hundred mutated specs and datasets never crashes the coordinator.
/// </summary>
public class ClusterBadInputTests(BadInputCoordinator c, ITestOutputHelper output) : IClassFixture<BadInputCoordinator>
{
    /// <summary>Each case: what to change in the valid tiny job, and what the refusal must say.</summary>
    public static TheoryData<string, string, string[]> Cases() => new()
    {
        // model
        { "model: missing folder", "model=coordinator:/uploads/" + new string('a', 64) + "/none", ["folder not found"] },
        { "model: invalid config.json", "model=@model-bad-config", ["config.json", "invalid JSON"] },
        { "model: unsupported architecture", "model=@model-gpt2", ["model_type 'gpt2' is not supported"] },
        { "model: missing weights", "model=@model-no-weights", ["no weights file"] },
        { "model: truncated weights", "model=@model-truncated", ["model.safetensors", "truncated"] },
        { "model: corrupt weights", "model=@model-corrupt", ["model.safetensors"] },
        { "model: missing vocabulary", "model=@model-no-vocab", ["no vocabulary"] },
        { "model: outside the roots", "model=/etc", ["--model (model)", "outside the coordinator's roots"] },
        { "num_labels inconsistent with the labels", "num_labels=3", ["--num-labels 3", "has 2 labels (0, 1)"] },
        // dataset
        { "dataset: missing", "dataset=coordinator:/uploads/" + new string('b', 64) + "/none.csv", ["none.csv"] },
        { "dataset: empty", "dataset=@empty.jsonl", ["empty.jsonl", "empty"] },
        { "dataset: wrong columns listed", "dataset=@columns.jsonl", ["columns.jsonl", "review", "stars"] },
        { "dataset: malformed CSV line", "dataset=@badline.csv", ["badline.csv:3", "unterminated quoted field"] },
        { "dataset: malformed JSON line", "dataset=@badjson.jsonl", ["badjson.jsonl:2"] },
        { "dataset: invalid UTF-8", "dataset=@latin1.csv", ["latin1.csv:3", "UTF-8"] },
        { "dataset: a single class", "dataset=@single.jsonl", ["single.jsonl"] },
        { "dataset: all texts empty", "dataset=@empty-texts.jsonl", ["every text", "empty"] },
        { "dataset: label outside the training labels", "eval_dataset=@eval-unknown-label.jsonl", ["eval-unknown-label.jsonl", "7"] },
        { "dataset: outside the roots", "dataset=/etc/passwd", ["--dataset (dataset)", "outside the coordinator's roots"] },
        // arguments
        { "learning rate 0", "learning_rate=0", ["--learning-rate (learning_rate)", "greater than 0"] },
        { "learning rate not a number", "learning_rate=fast", ["fast", "learning"] },
        { "batch size 0", "per_device_train_batch_size=0", ["--batch-size (per_device_train_batch_size)"] },
        { "epochs below 0", "num_train_epochs=-1", ["--epochs (num_train_epochs)"] },
        { "max length beyond the model's positions", "max_length=100", ["--max-length (max_length)", "64 positions"] },
        { "unknown scheduler", "lr_scheduler_type=sometimes", ["lr_scheduler_type", "sometimes"] },
        { "unknown strategy", "eval_strategy=sometimes", ["eval_strategy", "sometimes"] },
        { "more workers than the cluster can ever have", "workers=5", ["--workers (workers)", "--max-workers is 4"] },
        { "warmup steps with warmup ratio", "warmup_steps=10;warmup_ratio=0.1", ["--warmup-steps (warmup_steps)", "choose one"] },
        { "unknown metric for the best model", "metric_for_best_model=bogus", ["--metric-for-best-model (metric_for_best_model)", "unknown metric 'bogus'"] },
        { "load best model with different strategies", "load_best_model_at_end=true;save_strategy=no", ["load_best_model_at_end", "--save-strategy no"] },
        { "unknown option", "learning_rat=1e-4", ["unknown option 'learning_rat'"] },
    };

    Dictionary<string, string> Apply(string change)
    {
        var options = c.Base();
        foreach (var part in change.Split(';'))
        {
            var (key, value) = (part[..part.IndexOf('=')], part[(part.IndexOf('=') + 1)..]);
            options[key] = value.StartsWith('@') ? c.Paths[value[1..]] : value;
        }
        return options;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_job_is_refused_through_the_api_naming_the_field_and_nothing_starts(string name, string change, string[] expected)
    {
        var before = c.List().Count;
        var e = Refused(() => c.Jobs.Submit(BadInputCoordinator.Request(Apply(change)), ApiKey(BadInputCoordinator.Key)));
        output.WriteLine($"{name}: {e.StatusCode}: {e.Status.Detail}");
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        foreach (var text in expected) Assert.Contains(text, e.Status.Detail);
        Assert.Equal(before, c.List().Count); // no job record: nothing for a worker to start
        c.AssertEarlierUntouched();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_job_is_refused_through_the_cli_with_exit_code_2(string name, string change, string[] expected)
    {
        // The CLI sends local paths by uploading them: give it the local file, or the coordinator path when there is none.
        var args = new List<string> { "submit", "--coordinator", c.Cluster.Url, "--api-key", BadInputCoordinator.Key };
        foreach (var (key, value) in Apply(change))
        {
            if (name == "unknown option" && key == "learning_rat") continue;
            var local = c.Paths.FirstOrDefault(p => p.Value == value).Key is { } n ? c.Local[n] : value;
            var entry = ArgumentTable.Find(key);
            args.AddRange(entry.IsSwitch ? (value == "true" ? [entry.Flag] : []) : [entry.Flag, local]);
        }
        if (name == "unknown option") args.Add("--learning-rat"); // not a flag at all: bad usage
        var before = c.List().Count;
        var r = Finetune(null, [.. args]);
        output.WriteLine($"{name}: exit {r.ExitCode}: {r.Stderr.Trim()}");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.DoesNotContain("   at ", r.Stderr);
        if (name != "unknown option" && !name.Contains("outside the roots") && !name.StartsWith("model: missing folder", StringComparison.Ordinal) && !name.StartsWith("dataset: missing", StringComparison.Ordinal))
            Assert.Contains(expected[0].Replace("@", ""), r.Stderr.Replace(c.Cluster.Root, ""));
        Assert.Equal(before, c.List().Count);
        c.AssertEarlierUntouched();
    }

    [Fact]
    public void Bad_data_past_the_rows_submit_reads_fails_the_job_as_invalid_input_and_submit_wait_exits_2()
    {
        // 300 rows: Submit reads the first 100 of each file, and row 251 has no label; the rest is read after acceptance.
        var dir = Path.Combine(c.Cluster.Root, "late-bad-data");
        Directory.CreateDirectory(dir);
        var dataset = FineTune.Core.Tests.Training.TinyJobs.WriteDataset(dir, 300);
        var lines = File.ReadAllLines(dataset);
        lines[250] = "{\"text\": \"fine food\", \"label\": null}";
        File.WriteAllLines(dataset, lines);
        var r = Finetune(null, "submit", "--coordinator", c.Cluster.Url, "--api-key", BadInputCoordinator.Key, "--model", c.Local["model"],
            "--dataset", dataset, "--max-length", "32", "--workers", "2", "--wait", "--json");
        output.WriteLine($"exit {r.ExitCode}: {r.Stderr.Trim()}");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("submitted job", r.Stderr); // accepted first: the data is read after Submit answers
        var job = System.Text.Json.Nodes.JsonNode.Parse(r.Stdout)!;
        Assert.Equal(("failed", "invalid_input"), (job["state"]!.GetValue<string>(), job["failure_kind"]!.GetValue<string>()));
        Assert.EndsWith("/data.jsonl:251: the label (column 'label') is missing or empty", job["error"]!.GetValue<string>());
        Assert.Equal("failed", job["data"]!["phase"]!.GetValue<string>());
        Assert.DoesNotContain("   at ", r.Stderr);
        c.AssertEarlierUntouched(); // and the coordinator serves on
    }

    [Fact]
    public void Requests_get_not_found_failed_precondition_resource_exhausted_and_invalid_argument()
    {
        var key = ApiKey(BadInputCoordinator.Key);
        Assert.Equal(StatusCode.NotFound, Refused(() => c.Jobs.GetJob(new GetJobRequest { JobId = "job-none" }, key)).StatusCode);
        Assert.Equal(StatusCode.NotFound, Refused(() => c.Jobs.CancelJob(new CancelJobRequest { JobId = "job-none" }, key)).StatusCode);
        var status = Finetune(null, "status", "job-none", "--coordinator", c.Cluster.Url, "--api-key", BadInputCoordinator.Key);
        Assert.Equal(2, status.ExitCode);
        Assert.Contains("no job 'job-none'", status.Stderr);

        // Cancelling a finished job: FAILED_PRECONDITION, CLI exit code 1.
        var job = c.Jobs.Submit(BadInputCoordinator.Request(c.Base()), key);
        Assert.Equal("cancelled", c.Jobs.CancelJob(new CancelJobRequest { JobId = job.Id }, key).State);
        var again = Refused(() => c.Jobs.CancelJob(new CancelJobRequest { JobId = job.Id }, key));
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Contains("already cancelled", again.Status.Detail);
        Assert.Equal(1, Finetune(null, "cancel", job.Id, "--coordinator", c.Cluster.Url, "--api-key", BadInputCoordinator.Key).ExitCode);

        // An oversized message (17 MiB, the limit is 16): RESOURCE_EXHAUSTED, and the coordinator keeps serving.
        var huge = c.Base();
        huge["text_column"] = new string('x', 17 << 20);
        var big = Refused(() => c.Jobs.Submit(BadInputCoordinator.Request(huge), key));
        output.WriteLine($"oversized: {big.StatusCode}: {big.Status.Detail}");
        Assert.Equal(StatusCode.ResourceExhausted, big.StatusCode);
        // Large but under the limit: the value is refused by name instead.
        huge["text_column"] = new string('x', 5000);
        var longValue = Refused(() => c.Jobs.Submit(BadInputCoordinator.Request(huge), key));
        Assert.Equal(StatusCode.InvalidArgument, longValue.StatusCode);
        Assert.Contains("--text-column (text_column)", longValue.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, Refused(() => c.Jobs.Submit(BadInputCoordinator.Request(c.Base(), new string('r', 300)), key)).StatusCode);

        // A malformed spec file is refused by the CLI before any network call.
        var spec = Path.Combine(c.Cluster.Root, "job.json");
        File.WriteAllText(spec, "{\"learning_rate\": ");
        var r = Finetune(null, "submit", "-f", spec, "--coordinator", c.Cluster.Url, "--api-key", BadInputCoordinator.Key);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("invalid JSON", r.Stderr);
        c.AssertEarlierUntouched();
    }

    [Fact]
    public void Fuzzed_specs_and_datasets_are_accepted_valid_or_refused_and_the_coordinator_keeps_serving()
    {
        var key = ApiKey(BadInputCoordinator.Key);
        var random = new Random(20261127);
        string[] keys = [.. ArgumentTable.Entries.Select(e => e.Key).Where(k => k != "output_dir"), "bogus_key", ""];
        string[] values = ["", "0", "-1", "1", "2", "3", "7", "64", "1e-3", "5e-5", "0.5", "1.5", "abc", "NaN", "Infinity", "1e309", "-0", "true", "false", "null",
            "no", "steps", "epoch", "linear", "cosine", "max_length", "dynamic", "cpu", "cuda:0", "fp16", "bf16", "auto", "ring", "nccl", "label", "text", "9999999999", "\u00e9\u4e2d\U0001F600",
            "coordinator:/../x", "coordinator:/uploads/../jobs", "/etc/passwd", "../../x", "\0", "  1  ", "0x10", "1,5"];
        string[] datasetNames = ["dataset", "empty.jsonl", "columns.jsonl", "badline.csv", "badjson.jsonl", "latin1.csv", "single.jsonl"];
        int accepted = 0, refused = 0;
        var acceptedIds = new List<string>();
        using var client = new CoordinatorClient(c.Cluster.Url, BadInputCoordinator.Key);
        for (int i = 0; i < 450; i++) // enough that both sides are exercised as the options table grows
        {
            var options = c.Base();
            if (random.Next(4) == 0) options.Remove("workers");
            for (int m = random.Next(1, 4); m > 0; m--)
                options[keys[random.Next(keys.Length)]] = random.Next(8) == 0 ? RandomText(random) : values[random.Next(values.Length)];
            if (random.Next(10) == 0) options["dataset"] = c.Paths[datasetNames[random.Next(datasetNames.Length)]];
            if (i % 15 == 0) options["dataset"] = client.Upload(MutatedDataset(random, c.Local["dataset"], i)); // a few mutated dataset files
            try
            {
                var job = c.Jobs.Submit(BadInputCoordinator.Request(options), key);
                accepted++;
                acceptedIds.Add(job.Id);
                Assert.Equal("queued", job.State);
                // Accepted means valid: the same table, read back from the stored job, reports no problem.
                var args = new TrainingArguments();
                foreach (var (k, v) in job.Options) args = ArgumentTable.Apply(args, k, v, k);
                Assert.Empty(args.Problems());
                Assert.True(args.Workers is null or <= BadInputCoordinator.MaxWorkers);
            }
            catch (RpcException e)
            {
                refused++;
                Assert.True(e.StatusCode == StatusCode.InvalidArgument, $"spec {i} ({string.Join(", ", options.Select(kv => $"{kv.Key}={Short(kv.Value)}"))}) got {e.StatusCode}: {e.Status.Detail}\n{c.Cluster.Logs()}");
                Assert.False(string.IsNullOrWhiteSpace(e.Status.Detail));
            }
        }
        output.WriteLine($"fuzz: {accepted} accepted, {refused} refused with INVALID_ARGUMENT");
        Console.WriteLine($"bad-input fuzz: {accepted + refused} specs, {accepted} accepted, {refused} refused, 0 crashes");
        Assert.True(accepted > 10 && refused > 100, $"{accepted} accepted, {refused} refused: the fuzz should exercise both sides");
        foreach (var id in acceptedIds) c.Jobs.CancelJob(new CancelJobRequest { JobId = id }, key);
        // Still serving, and the earlier job is as it was.
        Assert.Contains(c.List(), j => j.Id == c.Earlier.Id);
        c.AssertEarlierUntouched();
    }

    static string Short(string s) => s.Length > 40 ? s[..40] + "..." : s;

    static string RandomText(Random random) =>
        new([.. Enumerable.Range(0, random.Next(0, 20)).Select(_ => (char)random.Next(1, 0x3000))]);

    /// <summary>The tiny dataset with a few bytes flipped, inserted or cut.</summary>
    static string MutatedDataset(Random random, string source, int i)
    {
        var bytes = File.ReadAllBytes(source).ToList();
        for (int k = random.Next(1, 6); k > 0; k--)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(3))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.Insert(at, (byte)random.Next(256)); break;
                default: bytes.RemoveRange(at, Math.Min(random.Next(1, 50), bytes.Count - at)); break;
            }
        }
        var path = Path.Combine(Path.GetTempPath(), "finetune-tests", $"mutated-{Guid.NewGuid():N}", "data.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [.. bytes]);
        return path;
    }
}
