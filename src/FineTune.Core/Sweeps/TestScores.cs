using FineTune.Core.Training;

namespace FineTune.Core.Sweeps;

/// <summary>
/// The test set's one scoring of a sweep's best model, by Trainer.evaluate's names with metric_key_prefix "test":
/// test_accuracy, test_f1_macro, test_loss, test_samples (the local sweep.json and the Jobs API's Sweep.test_metrics).
/// </summary>
public static class TestScores
{
    public const string Accuracy = "test_accuracy";
    public const string F1Macro = "test_f1_macro";
    public const string Loss = "test_loss";
    public const string Samples = "test_samples";

    public static IReadOnlyDictionary<string, double> Of(EvalResult result) => new Dictionary<string, double>
    {
        [Accuracy] = result.Accuracy,
        [F1Macro] = result.F1Macro,
        [Loss] = result.Loss,
        [Samples] = result.Samples,
    };
}
