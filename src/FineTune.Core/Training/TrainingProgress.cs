using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace FineTune.Core.Training;

/// <summary>Where the loop is and what it has summed so far: saved in trainer_state.json's "finetune" object.</summary>
internal sealed record TrainingProgress
{
    public int Epoch { get; init; }
    /// <summary>Optimizer steps done in the current epoch.</summary>
    public int Window { get; init; }
    /// <summary>Examples of the current epoch's global order used so far (the position a re-plan starts from).</summary>
    public int EpochExample { get; init; }
    /// <summary>The world size that trained up to here.</summary>
    public int WorldSize { get; init; } = 1;
    public int OptimizerStep { get; init; }
    public double LossSinceLog { get; init; }
    public int StepsSinceLog { get; init; }
    public double TotalLoss { get; init; }
    public int TotalSteps { get; init; }
    public double LastGradNorm { get; init; }
    public int Patience { get; init; }
    public int Samples { get; init; }
    public double PriorRuntime { get; init; }
    public byte[]? RngState { get; init; }

    public TrainingProgress After(StepInfo s, int epoch, int nextWindow, int epochExample) => this with
    {
        Epoch = epoch,
        Window = nextWindow,
        EpochExample = epochExample,
        OptimizerStep = OptimizerStep + 1,
        LossSinceLog = LossSinceLog + s.Loss,
        StepsSinceLog = StepsSinceLog + 1,
        TotalLoss = TotalLoss + s.Loss,
        TotalSteps = TotalSteps + 1,
        LastGradNorm = s.GradNorm,
        Samples = Samples + s.Samples,
    };

    public JsonObject ToJson(double runtime) => new()
    {
        ["epoch_index"] = Epoch,
        ["window_index"] = Window,
        ["epoch_example"] = EpochExample,
        ["world_size"] = WorldSize,
        ["optimizer_step"] = OptimizerStep,
        ["loss_since_log"] = LossSinceLog,
        ["steps_since_log"] = StepsSinceLog,
        ["total_loss"] = TotalLoss,
        ["total_steps"] = TotalSteps,
        ["last_grad_norm"] = LastGradNorm,
        ["patience"] = Patience,
        ["samples"] = Samples,
        ["runtime"] = PriorRuntime + runtime,
        ["rng_state"] = Convert.ToBase64String(CurrentRngState()),
    };

    static byte[] CurrentRngState()
    {
        using var state = random.get_rng_state();
        return state.data<byte>().ToArray();
    }

    public static TrainingProgress FromJson(JsonObject o, string source)
    {
        T Get<T>(string key) => o[key] is JsonNode n ? n.GetValue<T>() : throw new InvalidInputException($"{source}: no '{key}': not a checkpoint this version can resume");
        return new TrainingProgress
        {
            Epoch = Get<int>("epoch_index"),
            Window = Get<int>("window_index"),
            EpochExample = o["epoch_example"]?.GetValue<int>() ?? -1, // -1: not recorded (older checkpoints)
            WorldSize = o["world_size"]?.GetValue<int>() ?? 1,
            OptimizerStep = Get<int>("optimizer_step"),
            LossSinceLog = Get<double>("loss_since_log"),
            StepsSinceLog = Get<int>("steps_since_log"),
            TotalLoss = Get<double>("total_loss"),
            TotalSteps = Get<int>("total_steps"),
            LastGradNorm = Get<double>("last_grad_norm"),
            Patience = Get<int>("patience"),
            Samples = Get<int>("samples"),
            PriorRuntime = Get<double>("runtime"),
            RngState = Convert.FromBase64String(Get<string>("rng_state")),
        };
    }
}
