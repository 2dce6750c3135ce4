using System.Text.Json.Nodes;
using FineTune.Core.Arguments;
using FineTune.Core.Checkpointing;
using FineTune.Core.Modeling;
using FineTune.Core.Sharding;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>
/// resume_from_checkpoint: everything a checkpoint saved (weights, optimizer, RNG, position, history) put back, and
/// the rest of the run planned for this group's world size. Checkpoints hold fp32 CPU tensors whatever the device
/// that wrote them, so a checkpoint saved on a GPU resumes on a CPU and the other way round.
/// </summary>
static class Resumption
{
    /// <summary>The restored state and position; <paramref name="maxSteps"/> and <paramref name="numEpochs"/> re-planned when the world size changed.</summary>
    public static (TrainerState, TrainingProgress) Restore(string checkpoint, SequenceClassifier model, AdamW optimizer, TrainingArguments args,
        IShardSource shards, int worldSize, ref int maxSteps, ref int numEpochs)
    {
        var (state, progress) = Load(checkpoint, model, optimizer, args, shards, worldSize);
        if (progress.WorldSize != worldSize)
        {
            // A recovery with another world size: the rest of the interrupted epoch is re-planned for this group,
            // and the run ends where the job would have (max_steps, or the end of its last epoch).
            int rest = ShardPlan.Steps(shards.TrainExamples - progress.EpochExample, args.PerDeviceTrainBatchSize * worldSize, args.GradientAccumulationSteps);
            if (args.MaxSteps > 0) numEpochs = progress.Epoch + 1 + (int)Math.Ceiling(Math.Max(0, maxSteps - state.GlobalStep - rest) / (double)shards.StepsPerEpoch);
            else maxSteps = state.GlobalStep + rest + (numEpochs - progress.Epoch - 1) * shards.StepsPerEpoch;
        }
        state.MaxSteps = maxSteps;
        state.NumTrainEpochs = numEpochs;
        return (state, progress with { WorldSize = worldSize });
    }

    static (TrainerState, TrainingProgress) Load(string checkpoint, SequenceClassifier model, AdamW optimizer, TrainingArguments args, IShardSource shards, int worldSize)
    {
        var state = TrainerState.Load(Path.Combine(checkpoint, Checkpoints.StateFile));
        var weights = Path.Combine(checkpoint, "model.safetensors");
        var report = PretrainedModel.LoadWeights(model, weights, CheckpointReader.Read(weights), args.Seed);
        if (report.NewlyInitialized.Count > 0) throw new InvalidInputException($"{checkpoint}: the checkpoint lacks {report.NewlyInitialized[0]} (and {report.NewlyInitialized.Count - 1} more)");
        var resumeFile = Path.Combine(checkpoint, Checkpoints.ResumeFile);
        var progress = TrainingProgress.FromJson(JsonNode.Parse(File.ReadAllText(resumeFile)) as JsonObject ?? throw new InvalidInputException($"{resumeFile}: not a JSON object"), resumeFile);
        optimizer.Load(SafeTensors.Read(Path.Combine(checkpoint, Checkpoints.OptimizerFile)), progress.OptimizerStep, checkpoint);
        if (progress.RngState is { Length: > 0 } rng)
        {
            using var rngState = tensor(rng); // the CPU generator's (TorchSharp 0.107 cannot read or set a CUDA generator's state)
            random.set_rng_state(rngState);
        }
        if (progress.EpochExample < 0) // a checkpoint from before the position was kept in examples: same world size
            progress = progress with
            {
                WorldSize = worldSize,
                EpochExample = Math.Min(shards.TrainExamples, progress.Window * args.PerDeviceTrainBatchSize * worldSize * args.GradientAccumulationSteps),
            };
        return (state, progress);
    }
}
