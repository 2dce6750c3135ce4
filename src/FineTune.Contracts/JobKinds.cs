namespace FineTune.Contracts;

/// <summary>
/// What a job does (Job.kind): train (the default: train, evaluate each epoch, save) or evaluate (one rank scores a
/// finished model on a labelled set and trains nothing: a sweep's single scoring of its test set).
/// </summary>
public static class JobKinds
{
    public const string Train = "train";
    public const string Evaluate = "evaluate";
}
