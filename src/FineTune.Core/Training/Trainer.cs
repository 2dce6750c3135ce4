using System.Diagnostics;
using FineTune.Core.Arguments;
using FineTune.Core.Checkpointing;
using FineTune.Core.Collectives;
using FineTune.Core.Data;
using FineTune.Core.Modeling;
using FineTune.Core.Reporting;
using FineTune.Core.Sharding;
using FineTune.Core.Telemetry;
using FineTune.Core.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>What a run produced.</summary>
public sealed record TrainOutcome(int GlobalStep, double Epoch, double TrainLoss, double TrainRuntime, int SamplesSeen,
    EvalResult? FinalEval, TrainerState State, bool Interrupted, string? BestCheckpoint);

/// <summary>
/// The fine-tuning loop, read top to bottom: for each optimizer step, forward and backward over this rank's
/// micro-batches into one flat gradient buffer, all-reduce it, clip, AdamW, schedule; log, evaluate and save on the
/// strategies' beats. The collective and the rank's data (an <see cref="IShardSource"/>) are given, so one process
/// (world size 1) and a cluster rank run this same code.
/// </summary>
public sealed class Trainer
{
    readonly TrainingArguments args;
    readonly SequenceClassifier model;
    readonly BertTokenizer tokenizer;
    readonly IShardSource shards;
    readonly TokenizedDataset? eval; // this rank's part
    readonly ICollective collective;
    readonly ITrainerObserver observer;
    readonly string outputDir;
    readonly Device device; // the model and every batch live here (DeviceChoice.Resolve); CPU by default

    /// <summary>A rank that plans its own shard from the whole tokenized sets (one process, tests).</summary>
    public Trainer(TrainingArguments args, SequenceClassifier model, BertTokenizer tokenizer, TokenizedDataset train, TokenizedDataset? eval,
        ICollective collective, ITrainerObserver? observer = null, Device? device = null)
        : this(args, model, tokenizer, new InMemoryShards(train, eval, collective.Rank, collective.WorldSize, args), collective, observer, device)
    {
    }

    public Trainer(TrainingArguments args, SequenceClassifier model, BertTokenizer tokenizer, IShardSource shards,
        ICollective collective, ITrainerObserver? observer = null, Device? device = null)
    {
        this.device = device ?? CPU;
        this.args = args;
        this.model = model;
        this.tokenizer = tokenizer;
        this.shards = shards;
        eval = shards.EvalExamples > 0 ? shards.Eval : null;
        this.collective = collective;
        this.observer = observer ?? new NoObserver();
        outputDir = args.OutputDir ?? throw new InvalidInputException("--output (output_dir): required");
    }

    bool IsWorldProcessZero => collective.Rank == 0;
    IReadOnlyList<string> Labels => model.Config.Id2Label;

    public TrainOutcome Train(CancellationToken cancel = default)
    {
        int stepsPerEpoch = shards.StepsPerEpoch;
        int maxSteps = args.MaxSteps > 0 ? args.MaxSteps : (int)Math.Ceiling(args.NumTrainEpochs * stepsPerEpoch);
        int numEpochs = (int)Math.Ceiling((double)maxSteps / stepsPerEpoch);
        model.to(device); // the master weights; a no-op on the CPU, where the model was loaded
        var parameters = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
        using var flat = new FlatParameters(parameters); // the weights become views of one buffer, in the gradients' layout
        using var grads = new FlatGradients(parameters.Select(p => p.Item2).ToList());
        using var optimizer = new AdamW(flat, grads.Gradients, args);
        using var precision = MixedPrecision.For(model, args.Precision, flat, grads); // where forward and backward run
        using var buckets = GradientBuckets.For(collective, model, parameters, grads, precision.IsMixed); // null: one all-reduce after backward

        // Fresh start, or everything a checkpoint saved: weights, optimizer, RNG, position, history.
        manual_seed(args.Seed);
        var state = new TrainerState { MaxSteps = maxSteps, NumTrainEpochs = numEpochs, LoggingSteps = args.LoggingSteps, EvalSteps = args.EffectiveEvalSteps, SaveSteps = args.SaveSteps, TrainBatchSize = args.PerDeviceTrainBatchSize };
        var progress = new TrainingProgress { WorldSize = collective.WorldSize };
        if (args.ResumeFromCheckpoint is string resume)
        {
            (state, progress) = Resumption.Restore(Checkpoints.Resolve(resume, outputDir), model, optimizer, args, shards, collective.WorldSize, ref maxSteps, ref numEpochs);
            precision.PullWeights();
        }
        var schedule = new LearningRateSchedule(args.LrSchedulerType, args.LearningRate, LearningRateSchedule.WarmupFor(args, maxSteps), maxSteps);

        observer.OnTrainBegin(new TrainPlan(maxSteps, stepsPerEpoch, numEpochs, schedule.WarmupSteps, shards.TrainExamples, eval is null ? 0 : shards.EvalExamples, collective.WorldSize, state.GlobalStep));
        precision.Compute.train();
        var clock = Stopwatch.StartNew();
        EvalResult? lastEval = null;
        int lastEvalStep = -1;
        bool stop = state.GlobalStep >= maxSteps, interrupted = false;

        for (int epoch = progress.Epoch; epoch < numEpochs && !stop; epoch++)
        {
            // A resumed epoch goes on after the examples it has used (planned for this world size, which may differ from
            // the one that saved the checkpoint, so no example is lost or repeated); the others start at their beginning.
            bool resumed = epoch == progress.Epoch;
            int used = resumed ? progress.EpochExample : 0, stepsBefore = resumed ? progress.Window : 0;
            var shard = shards.Epoch(epoch, used);
            if (epoch + 1 < numEpochs) shards.Prefetch(epoch + 1); // fetched while this epoch trains
            var windows = shard.Windows;
            using var epochSpan = FineTuneTelemetry.StartSpan("epoch")?.SetTag("finetune.epoch", epoch + 1);
            if (epochSpan is not null) FineTuneTelemetry.Mark($"epoch {epoch + 1} started", "finetune.step", state.GlobalStep + 1);
            for (int w = 0; w < windows.Count && !stop; w++)
            {
                if (cancel.IsCancellationRequested)
                {
                    interrupted = stop = true;
                    progress = progress with { Epoch = epoch, Window = stepsBefore + w, EpochExample = used };
                    Save(state, optimizer, progress, clock);
                    break;
                }
                var step = Step(shard.Examples, windows[w], grads, buckets, optimizer, precision, schedule.At(state.GlobalStep));
                used += windows[w].GlobalExamples;
                state.GlobalStep++;
                state.Epoch = epoch + (double)(stepsBefore + w + 1) / (stepsBefore + windows.Count);
                progress = progress.After(step, epoch, stepsBefore + w + 1, used);
                observer.OnStep(step with { Step = state.GlobalStep, MaxSteps = maxSteps, Epoch = state.Epoch, LearningRate = schedule.At(state.GlobalStep - 1) });

                bool endOfEpoch = w + 1 == windows.Count, last = state.GlobalStep >= maxSteps;
                if (state.GlobalStep % args.LoggingSteps == 0 || last)
                    progress = Log(state, progress, schedule.At(state.GlobalStep - 1));
                bool evaluate = eval is not null && (args.EvalStrategy == "steps" && state.GlobalStep % args.EffectiveEvalSteps == 0 || args.EvalStrategy == "epoch" && (endOfEpoch || last));
                if (evaluate)
                {
                    lastEval = Evaluate(state, precision.Compute);
                    lastEvalStep = state.GlobalStep;
                    progress = Track(state, progress, lastEval, out bool patienceExhausted);
                    stop |= patienceExhausted;
                }
                bool save = args.SaveStrategy == "steps" && state.GlobalStep % args.SaveSteps == 0 || args.SaveStrategy == "epoch" && (endOfEpoch || last);
                if (save) Save(state, optimizer, endOfEpoch ? progress with { Epoch = epoch + 1, Window = 0, EpochExample = 0 } : progress, clock);
                stop |= last;
            }
        }

        if (!interrupted && args.LoadBestModelAtEnd && state.BestModelCheckpoint is string best)
        {
            // Only rank 0 wrote checkpoints: it loads the best one and the others receive its weights.
            if (IsWorldProcessZero) PretrainedModel.LoadWeights(model, best, CheckpointReader.Read(Path.Combine(best, "model.safetensors")), args.Seed);
            if (collective.WorldSize > 1) collective.Broadcast(flat.Buffer); // every weight in one message
            precision.PullWeights();
            lastEvalStep = -1; // the final evaluation must describe the loaded weights
        }
        if (!interrupted && eval is not null && lastEvalStep != state.GlobalStep)
            lastEval = Evaluate(state, precision.Compute, log: lastEvalStep != -1 || !args.LoadBestModelAtEnd);

        double runtime = clock.Elapsed.TotalSeconds + progress.PriorRuntime;
        double trainLoss = progress.TotalSteps > 0 ? progress.TotalLoss / progress.TotalSteps : double.NaN;
        return new TrainOutcome(state.GlobalStep, state.Epoch, trainLoss, runtime, progress.Samples, lastEval, state, interrupted, state.BestModelCheckpoint);
    }

    /// <summary>One optimizer step over an update window; returns the step's loss (mean over the global window) and timings.</summary>
    StepInfo Step(TokenizedDataset train, UpdateWindow window, FlatGradients grads, GradientBuckets? buckets, AdamW optimizer, MixedPrecision precision, double learningRate)
    {
        double dataWait = 0, forward = 0, backward = 0;
        long tokens = 0;
        int samples = 0;
        var clock = Stopwatch.StartNew();
        using var stepScope = NewDisposeScope(); // no tensor of a step is left to the finalizer (see Scalars)
        using var globalExamples = window.GlobalExamples.ToScalar();
        grads.Zero();
        var lastMicro = window.MicroBatches.LastOrDefault(m => m.Length > 0);
        foreach (var micro in window.MicroBatches)
        {
            if (micro.Length == 0) continue; // a short last batch left this rank nothing: it still joins the all-reduce
            if (buckets is not null && ReferenceEquals(micro, lastMicro)) buckets.Arm(); // this backward launches the buckets as it finishes layers
            using var scope = NewDisposeScope();
            var t0 = clock.Elapsed.TotalSeconds;
            var b = Batching.Collate(train, micro, args.Padding, args.MaxLength, tokenizer.PadId);
            var ids = tensor(b.InputIds, [b.Size, b.Width], device: device);
            var mask = tensor(b.AttentionMask, [b.Size, b.Width], device: device);
            var types = tensor(b.TokenTypeIds, [b.Size, b.Width], device: device);
            var labels = tensor(b.Labels, device: device);
            var t1 = clock.Elapsed.TotalSeconds;
            var logits = precision.Compute.call(ids, mask, types).to_type(ScalarType.Float32); // the loss in fp32, as autocast computes it
            // Sum over the local examples divided by the global window size: after the all-reduce SUM the gradient is
            // exactly the mean over every example of the step, however unevenly the last batch was split.
            var lossSum = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum);
            var t2 = clock.Elapsed.TotalSeconds;
            grads.AddLoss(lossSum.item<float>() / window.GlobalExamples); // before backward: the first overlapped bucket carries the loss slot
            lossSum.div(globalExamples).backward();
            precision.AccumulateGradients(); // bf16: into the fp32 master gradients
            var t3 = clock.Elapsed.TotalSeconds;
            dataWait += t1 - t0;
            forward += t2 - t1;
            backward += t3 - t2;
            tokens += b.RealTokens;
            samples += b.Size;
        }
        var t4 = clock.Elapsed.TotalSeconds;
        if (buckets is null) collective.AllReduceSum(grads.Buffer);
        else buckets.Finish(); // what backward has not launched yet, then wait for every bucket
        var t5 = clock.Elapsed.TotalSeconds;
        var (gradNorm, clipFactor) = grads.ClipFactor(args.MaxGradNorm);
        optimizer.Update(learningRate, clipFactor);
        precision.PullWeights();
        var t6 = clock.Elapsed.TotalSeconds;
        return new StepInfo(0, 0, 0, grads.Loss, learningRate, gradNorm, samples, tokens, new StepTimings(dataWait, forward, backward, t5 - t4, t6 - t5, t6));
    }

    EvalResult Evaluate(TrainerState state, SequenceClassifier compute, bool log = true)
    {
        using var span = FineTuneTelemetry.StartSpan("evaluation");
        using var phase = PhaseProfile.Measure("evaluation");
        var result = Evaluator.Evaluate(compute, eval!, Enumerable.Range(0, eval!.Count).ToArray(), args.PerDeviceEvalBatchSize,
            args.MaxLength, tokenizer.PadId, args.Padding, Labels, collective, device);
        if (log)
        {
            var entry = new LogEntry(state.GlobalStep, Math.Round(state.Epoch, 4), new Dictionary<string, double>
            {
                ["eval_loss"] = result.Loss,
                ["eval_accuracy"] = result.Accuracy,
                ["eval_f1_macro"] = result.F1Macro,
            });
            state.LogHistory.Add(entry);
            observer.OnLog(entry);
        }
        observer.OnEvaluate(state.GlobalStep, state.Epoch, result);
        return result;
    }

    TrainingProgress Log(TrainerState state, TrainingProgress p, double learningRate)
    {
        if (p.StepsSinceLog == 0) return p;
        var entry = new LogEntry(state.GlobalStep, Math.Round(state.Epoch, 4), new Dictionary<string, double>
        {
            ["loss"] = Math.Round(p.LossSinceLog / p.StepsSinceLog, 6),
            ["grad_norm"] = p.LastGradNorm,
            ["learning_rate"] = learningRate,
        });
        state.LogHistory.Add(entry);
        observer.OnLog(entry);
        return p with { LossSinceLog = 0, StepsSinceLog = 0 };
    }

    /// <summary>Best metric and early-stopping patience, as Hugging Face's Trainer and EarlyStoppingCallback keep them.</summary>
    TrainingProgress Track(TrainerState state, TrainingProgress p, EvalResult result, out bool patienceExhausted)
    {
        double metric = args.BestModelMetric(result); // the metric names are checked with the other options, before anything starts
        bool improved = state.BestMetric is not double best || (args.GreaterIsBetter ? metric > best : metric < best);
        if (improved)
        {
            state.BestMetric = metric;
            // The checkpoint of this step, if the save strategy writes one now (load_best_model_at_end requires it).
            state.BestModelCheckpoint = Path.Combine(outputDir, Checkpoints.Prefix + state.GlobalStep);
        }
        int patience = improved ? 0 : p.Patience + 1;
        patienceExhausted = args.EarlyStoppingPatience is int limit && patience >= limit;
        return p with { Patience = patience };
    }

    void Save(TrainerState state, AdamW optimizer, TrainingProgress p, Stopwatch clock)
    {
        if (IsWorldProcessZero)
        {
            using var scope = NewDisposeScope();
            using var span = FineTuneTelemetry.StartSpan("checkpoint");
            using var phase = PhaseProfile.Measure("checkpoint save");
            var saving = Stopwatch.StartNew();
            var path = Checkpoints.Save(outputDir, state.GlobalStep, model, tokenizer, optimizer, state, p.ToJson(clock.Elapsed.TotalSeconds), args);
            if (args.SaveTotalLimit is int limit) Checkpoints.Rotate(outputDir, limit, state.BestModelCheckpoint);
            observer.OnSave(path, saving.Elapsed.TotalSeconds);
        }
        collective.Barrier();
    }

    sealed class NoObserver : ITrainerObserver;
}
