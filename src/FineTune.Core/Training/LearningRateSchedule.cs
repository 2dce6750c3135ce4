using FineTune.Core.Arguments;
namespace FineTune.Core.Training;

/// <summary>
/// Hugging Face's get_scheduler: the learning rate for optimizer step <c>step</c> (0-based) as a multiple of the peak,
/// after <c>warmup</c> linear warmup steps, over <c>total</c> steps.
/// </summary>
public sealed record LearningRateSchedule(string Type, double PeakLearningRate, int WarmupSteps, int TotalSteps)
{
    public double At(int step) => PeakLearningRate * Factor(step);

    double Factor(int step)
    {
        if (Type != "constant" && step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        return Type switch
        {
            "linear" => Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps)),
            "cosine" => Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * progress))),
            "constant" or "constant_with_warmup" => 1.0,
            _ => throw new InvalidInputException($"unknown lr_scheduler_type '{Type}'"),
        };
    }

    /// <summary>warmup_steps, or warmup_ratio of the total rounded up, as Hugging Face's get_warmup_steps.</summary>
    public static int WarmupFor(TrainingArguments args, int totalSteps) =>
        args.WarmupSteps > 0 ? args.WarmupSteps : (int)Math.Ceiling(totalSteps * args.WarmupRatio);
}
