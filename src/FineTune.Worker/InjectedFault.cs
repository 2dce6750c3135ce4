using System.Globalization;
using FineTune.Core.Training;

namespace FineTune.Worker;

/// <summary>
/// TEST ONLY: a fault injected on purpose, so tests can see a job recover from a rank that throws (and fail at once
/// when the same error recurs at the same step). Off unless the environment variable
/// <c>FINETUNE_TEST_THROW_AT_STEP</c> is set on the worker process: <c>K</c> throws
/// <c>InvalidOperationException("injected fault at step K")</c> from <see cref="ITrainerObserver.OnStep"/> once per
/// process, when this rank completes global step K; <c>K,every</c> throws every time any run of this process reaches
/// step K. Production deployments never set it.
/// </summary>
sealed class InjectedFault(ITrainerObserver inner, int step, bool everyTime) : InjectedObserver(inner)
{
    public const string Variable = "FINETUNE_TEST_THROW_AT_STEP";
    static int fired; // once per process, across the runs (generations) this process takes part in

    /// <summary>The observer, wrapped when the test variable asks for a fault.</summary>
    public static ITrainerObserver Wrap(ITrainerObserver inner, ILogger log)
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(value)) return inner;
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step < 1 || parts.Length > 2 || parts.Length == 2 && parts[1] != "every")
        {
            log.LogWarning("{Variable}={Value} ignored: expected K or K,every with K >= 1", Variable, value);
            return inner;
        }
        log.LogWarning("TEST ONLY: {Variable}={Value}: this rank throws at step {Step}", Variable, value, step);
        return new InjectedFault(inner, step, parts.Length == 2);
    }

    protected override void AfterStep(StepInfo s)
    {
        if (s.Step == step && (everyTime || Interlocked.Exchange(ref fired, 1) == 0))
            throw new InvalidOperationException($"injected fault at step {step}");
    }
}
