using System.Security.Cryptography;
using FineTune.Contracts.V1;
using FineTune.Core.Modeling;
using FineTune.Core.Reporting;
using FineTune.Core.Training;

namespace FineTune.Worker;

/// <summary>
/// The trainer's events as the coordinator hears them: rank 0's steps and log entries (every rank has the same values),
/// every rank's parameter checksum after each evaluation, and rank 0's checkpoints queued for upload.
/// </summary>
sealed class RankReporter(CoordinatorLink link, SequenceClassifier model, CheckpointUploads uploads, Action<int> stepDone) : ITrainerObserver
{
    // Every rank: the coordinator compares the ranks' parameters after each evaluation.
    public void OnEvaluate(int step, double epoch, EvalResult result) =>
        link.Send(new WorkerReport { Checksum = new ParameterChecksum { Step = step, Sha256 = Checksum(model) } });

    public void OnStep(StepInfo s)
    {
        stepDone(s.Step);
        if (link.Rank != 0) return;
        link.Send(new WorkerReport { Step = new StepEvent { Step = s.Step, MaxSteps = s.MaxSteps, Epoch = s.Epoch, Loss = s.Loss, LearningRate = s.LearningRate, SamplesPerSecond = s.Samples / Math.Max(s.Timings.Total, 1e-9) } });
    }

    // Rank 0 alone saves checkpoints; they go to the coordinator in the background so training does not wait.
    public void OnSave(string checkpoint, double seconds) => uploads.Add(checkpoint, seconds);

    public void OnLog(LogEntry e)
    {
        if (link.Rank != 0) return;
        var log = new LogEvent { Step = e.Step, Epoch = e.Epoch };
        foreach (var (k, v) in e.Values) log.Values[k] = v;
        link.Send(new WorkerReport { Log = log });
    }

    /// <summary>SHA-256 of every parameter's bytes in order: equal on every rank when data parallelism holds.</summary>
    public static string Checksum(SequenceClassifier model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in PretrainedModel.StateDict(model))
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Data.AsSpan()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
