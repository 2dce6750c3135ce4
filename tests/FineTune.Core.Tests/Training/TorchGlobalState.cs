namespace FineTune.Core.Tests.Training;

/// <summary>
/// libtorch's default random generator (dropout, manual_seed) and thread count are process-wide: tests that train or
/// seed in-process run one at a time so their results stay deterministic. (A worker process runs one trainer.)
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalState
{
    public const string Name = "torch global state";
}
