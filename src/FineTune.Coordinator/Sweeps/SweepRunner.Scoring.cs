using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Jobs;
using FineTune.Core.Sweeps;

namespace FineTune.Coordinator.Sweeps;

/// <summary>
/// A sweep's one scoring of its test set: after the last trial, a job of kind evaluate (one worker; the best trial's
/// model on the test folder) is created, recorded first so a restart finds it; it is scheduled, recovered and cancelled
/// as any job. Its final evaluation becomes the sweep's test metrics (Trainer.evaluate's names, prefix "test"), then
/// the report goes into the best trial's output, which is pushed when the base says push_to_hub; a test job that fails
/// or is cancelled fails the sweep.
/// </summary>
public sealed partial class SweepRunner
{
    void FollowScoring(SweepRecord sweep)
    {
        if (sweep.TestJob is not { } jobId)
        {
            jobId = JobRecord.NewId();
            if (!sweeps.Update(sweep, s => s.State == SweepStates.Scoring && s.TestJob is null && Do(() => s.TestJobCreated(jobId)))) return;
        }
        var test = jobs.Find(jobId) ?? CreateTestJob(sweep, jobId); // the coordinator may have stopped between the record and the job
        if (test is null) return;
        var (state, eval, error) = jobs.Read(() => (test.State, test.FinalEval, test.Error));
        if (!state.IsFinal()) return;
        if (state == JobState.Succeeded && eval is not null)
        {
            var metrics = TestScores.Of(eval);
            if (!sweeps.Update(sweep, s => s.State == SweepStates.Scoring && Do(() => s.Scored(metrics, NowMs)))) return;
            log.LogInformation("sweep {Sweep}: best trial {Trial}, test {Metrics} (job {Job})", sweep.Id, sweep.BestTrial,
                string.Join(", ", metrics.Select(kv => $"{kv.Key} {kv.Value:G4}")), jobId);
            Publish(sweep);
            return;
        }
        var reason = state switch
        {
            JobState.Succeeded => $"its job {jobId} reported no evaluation",
            JobState.Failed => error ?? "its job failed",
            _ => $"its job {jobId} was {state.Name()}",
        };
        log.LogWarning("sweep {Sweep}: scoring the test set failed: {Reason}", sweep.Id, reason);
        sweeps.Update(sweep, s => !s.IsFinal && Do(() => s.Fail($"scoring the test set: {reason}", NowMs)));
    }

    JobRecord? CreateTestJob(SweepRecord sweep, string jobId)
    {
        if (jobs.Find(sweep.TrialJobs[sweep.BestTrial!.Value]) is not { } best)
        {
            sweeps.Update(sweep, s => !s.IsFinal && Do(() => s.Fail("scoring the test set: the best trial's job is gone", NowMs)));
            return null;
        }
        var job = jobs.Add(new JobRecord
        {
            Id = jobId,
            Kind = JobKinds.Evaluate,
            Spec = SweepWork.TestSpec(sweep, best),
            RequestId = $"{sweep.Id}/test",
            SweepId = sweep.Id,
            CreatedUnixMs = NowMs,
            RequestedWorkers = 1,
            MinWorkers = 1,
        });
        log.LogInformation("sweep {Sweep}: the test set scored on trial {Trial}'s model by job {Job}", sweep.Id, sweep.BestTrial, jobId);
        StartData(job);
        return job;
    }

    /// <summary>The sweep's output, once it succeeded: the report into the best trial's output, then its push when the base asks.</summary>
    void Publish(SweepRecord sweep)
    {
        if (jobs.Find(sweep.TrialJobs[sweep.BestTrial!.Value]) is not { } best) return;
        try
        {
            work.WriteReport(sweep, best);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning(e, "sweep {Sweep}: writing its report failed", sweep.Id); // the sweep's result stands
        }
        work.PushBest(sweep, best); // in the background; a failed push never fails the sweep
    }
}
