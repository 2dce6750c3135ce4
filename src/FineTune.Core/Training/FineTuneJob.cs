using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Contracts.Transfers;
using FineTune.Core.Arguments;
using FineTune.Core.Checkpointing;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Hub;
using FineTune.Core.Modeling;
using FineTune.Core.Reporting;
using FineTune.Core.Telemetry;
using FineTune.Core.Tokenization;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>
/// `finetune train` in one process: validate everything, load the model and data, tokenize, train, then write the
/// output folder (Hugging Face model, trainer_state.json, train/eval results, report). The cluster's workers reuse the
/// same pieces with their own shard and collective.
/// </summary>
public static class FineTuneJob
{
    /// <param name="hub">the job's hub ids, already in the cache (<see cref="HubInputs.ResolveAsync"/>): their snapshot folders are read</param>
    public static JobResult Run(TrainingArguments args, ITrainerObserver? observer = null, Action<string>? log = null, CancellationToken cancel = default, HubInputs? hub = null)
    {
        log ??= _ => { };
        Device device;
        using (PhaseProfile.Measure("validate, libtorch init"))
        {
            args.Validate();
            device = DeviceChoice.Resolve(workerDevice: null, args.Device); // refuses a device this process cannot train on
            if (args.Threads is int threads) set_num_threads(threads);
        }
        var outputDir = Path.GetFullPath(args.OutputDir ?? throw new InvalidInputException("--output (output_dir): required"));
        args = args with { OutputDir = outputDir };

        hub ??= HubInputs.None;
        var local = hub.Apply(args); // where the inputs are read: hub ids' snapshot folders
        string folder;
        using (PhaseProfile.Measure("model folder (convert, check)")) (folder, _) = ModelCheck.Run(local);
        LoadedDataset data;
        using (PhaseProfile.Measure("dataset load")) data = DatasetLoader.Load(local.ToDatasetOptions());
        if (data.SkippedEmpty > 0) log($"skipped {data.SkippedEmpty} examples with empty text");
        log($"data: {data.Train.Count} train examples from {data.TrainSource}, {data.Eval.Count} eval examples from {data.EvalSource}, labels {string.Join(", ", data.LabelNames)}");

        BertTokenizer tokenizer;
        using (PhaseProfile.Measure("tokenizer load")) tokenizer = BertTokenizer.FromFolder(folder);
        SequenceClassifier model;
        LoadReport report;
        using (PhaseProfile.Measure("model load")) (model, report) = PretrainedModel.Load(folder, data.LabelNames, args.Seed);
        foreach (var w in report.Warnings) log($"warning: {w}");
        if (report.NewlyInitialized.Count > 0) log($"newly initialised: {string.Join(", ", report.NewlyInitialized)} (seed {args.Seed})");
        TokenizedDataset train;
        TokenizedDataset? eval;
        using (PhaseProfile.Measure("tokenize"))
        {
            train = TokenizedDataset.Build(data.Train, tokenizer, args.MaxLength);
            eval = data.Eval.Count > 0 ? TokenizedDataset.Build(data.Eval, tokenizer, args.MaxLength) : null;
        }

        using var collective = new SingleProcess();
        var outcome = new Trainer(args, model, tokenizer, train, eval, collective, observer, device).Train(cancel);
        if (hub.Sources() is { Count: > 0 } sources) outcome.State.Extra["hub"] = sources; // the commits, to rerun on the same inputs
        var result = new JobResult(args, outcome, data.LabelNames, folder);
        if (!outcome.Interrupted) WriteOutputs(result, model, tokenizer);
        return result;
    }

    /// <summary>The final folder: what save_pretrained, save_state and save_metrics write, plus the report.</summary>
    public static void WriteOutputs(JobResult result, SequenceClassifier model, BertTokenizer tokenizer)
    {
        var dir = result.Args.OutputDir!;
        using (PhaseProfile.Measure("final model save")) ModelFolder.Save(model, tokenizer, dir);
        result.Outcome.State.Save(Path.Combine(dir, Checkpoints.StateFile));
        using var _ = PhaseProfile.Measure("results and report");
        var card = new ModelCardFacts(result.Args, HubPush.ModelId(result.Args.HubModelId, dir).Split('/')[^1], WorldSize: 1, result.Outcome.State.LogHistory,
            result.EvalMetrics(), result.Outcome.State.Extra["hub"] as JsonObject);
        WriteResults(dir, result.TrainMetrics(), result.EvalMetrics(), result.Outcome.State.LogHistory, result.Outcome.FinalEval, result.Summary(), card);
    }

    /// <summary>train_results.json, eval_results.json, all_results.json (Hugging Face's save_metrics), the report and the model card.</summary>
    public static void WriteResults(string dir, JsonObject train, JsonObject eval, IReadOnlyList<LogEntry> history, EvalResult? finalEval,
        IReadOnlyDictionary<string, string> summary, ModelCardFacts card)
    {
        var indented = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(dir, "train_results.json"), train.ToJsonString(indented));
        if (eval.Count > 0) AtomicFile.WriteAllText(Path.Combine(dir, "eval_results.json"), eval.ToJsonString(indented));
        var all = (JsonObject)train.DeepClone();
        foreach (var (k, v) in eval) all[k] = v?.DeepClone();
        AtomicFile.WriteAllText(Path.Combine(dir, "all_results.json"), all.ToJsonString(indented));
        TrainingReport.Write(dir, history, finalEval, summary);
        ModelCard.Write(dir, card);
    }
}

/// <summary>A finished (or interrupted) job and its Hugging Face-named metrics.</summary>
public sealed record JobResult(TrainingArguments Args, TrainOutcome Outcome, IReadOnlyList<string> LabelNames, string ModelFolder)
{
    public JsonObject TrainMetrics() => JobJson.TrainMetrics(Outcome.Epoch, Outcome.TrainLoss, Outcome.TrainRuntime, Outcome.SamplesSeen, Outcome.GlobalStep);

    public JsonObject EvalMetrics() => JobJson.EvalMetrics(Outcome.Epoch, Outcome.FinalEval);

    public IReadOnlyDictionary<string, string> Summary() => new Dictionary<string, string>
    {
        ["model"] = Args.Model == "default" ? $"default (all-MiniLM-L6-v2, {ModelFolder})" : ModelFolder,
        ["dataset"] = Args.Dataset,
        ["labels"] = string.Join(", ", LabelNames),
        ["epochs"] = Outcome.Epoch.ToString("0.##"),
        ["steps"] = Outcome.GlobalStep.ToString(),
        ["batch size"] = Args.PerDeviceTrainBatchSize.ToString(),
        ["learning rate"] = Args.LearningRate.ToString("g3"),
        ["runtime"] = $"{Outcome.TrainRuntime:0.0} s",
        ["samples/s"] = (Outcome.SamplesSeen / Math.Max(Outcome.TrainRuntime, 1e-9)).ToString("0.0"),
    };

    /// <summary>The job object of docs/cli.md ("finetune train --json"; the Jobs API builds the same).</summary>
    public JsonObject ToJson(string id, string state, IReadOnlyList<string> workers) =>
        JobJson.Build(id, state, workers, Args.OutputDir, Outcome.BestCheckpoint is string b && Directory.Exists(b) ? b : null,
            JobJson.Metrics(TrainMetrics(), EvalMetrics(), restarts: 0), Outcome.State.LogHistory, Outcome.FinalEval, LabelNames, error: null);
}
