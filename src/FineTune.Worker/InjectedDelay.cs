using System.Globalization;
using FineTune.Core.Training;

namespace FineTune.Worker;

/// <summary>
/// TEST ONLY: a pause after every optimizer step, so a test can act while a tiny model's job is still running (a tiny
/// BERT finishes an epoch in a fraction of a second on a fast day). Off unless the environment variable
/// <c>FINETUNE_TEST_STEP_DELAY_MS</c> is set on the worker process to a whole number of milliseconds (1 to 10,000).
/// Production deployments never set it.
/// </summary>
sealed class InjectedDelay(ITrainerObserver inner, TimeSpan delay) : InjectedObserver(inner)
{
    public const string Variable = "FINETUNE_TEST_STEP_DELAY_MS";

    /// <summary>The observer, wrapped when the test variable asks for a delay.</summary>
    public static ITrainerObserver Wrap(ITrainerObserver inner, ILogger log)
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(value)) return inner;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms is < 1 or > 10_000)
        {
            log.LogWarning("{Variable}={Value} ignored: expected milliseconds from 1 to 10000", Variable, value);
            return inner;
        }
        log.LogWarning("TEST ONLY: {Variable}={Value}: this rank pauses {Ms} ms after every step", Variable, value, ms);
        return new InjectedDelay(inner, TimeSpan.FromMilliseconds(ms));
    }

    protected override void AfterStep(StepInfo s)
    {
        Thread.Sleep(delay);
    }
}
