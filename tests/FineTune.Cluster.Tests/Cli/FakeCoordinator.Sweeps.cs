using FineTune.Contracts.V1;
using Grpc.Core;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>The fake coordinator's sweeps: one that ended (a succeeded, a stopped and a failed trial, the test score) and
/// one still running; the first trial's job is a job of its own (GetJob, ListJobs), as a coordinator's trial is.</summary>
public sealed partial class FakeJobs
{
    public const string SweepDone = "sweep-done", SweepLive = "sweep-live", Trial = "job-trial-0";
    public const string AshaReason = "asha: eval_accuracy 0.55 below the rung-0 cutoff 0.85";

    static Job TrialJob()
    {
        var job = Finished(Trial);
        job.SweepId = SweepDone; // as a coordinator's trial: the message's field and the job object's
        var json = System.Text.Json.Nodes.JsonNode.Parse(job.Json)!;
        json["sweep_id"] = SweepDone;
        job.Json = json.ToJsonString();
        return job;
    }

    public static Sweep Done3() => new()
    {
        Id = SweepDone,
        State = "succeeded",
        Metric = "eval_accuracy",
        GreaterIsBetter = true,
        PlannedTrials = 3,
        WorkersPerTrial = 1,
        BestTrial = 0,
        TestMetrics = { ["test_accuracy"] = 0.9, ["test_loss"] = 0.25 },
        TestJobId = "job-test",
        Trials =
        {
            new SweepTrial { Index = 0, Params = { ["learning_rate"] = "0.001", ["warmup_ratio"] = "0.1" }, State = "succeeded", Metric = 0.91, HasMetric = true, Evaluations = { 0.85, 0.91 }, JobId = Trial },
            new SweepTrial { Index = 1, Params = { ["learning_rate"] = "0.01", ["warmup_ratio"] = "0" }, State = "stopped", Metric = 0.55, HasMetric = true, Evaluations = { 0.55 }, Reason = AshaReason, JobId = "job-trial-1" },
            new SweepTrial { Index = 2, Params = { ["learning_rate"] = "1e-05", ["warmup_ratio"] = "0" }, State = "failed", Reason = "worker-0 lost", JobId = "job-trial-2" },
        },
    };

    static Sweep Live() => new()
    {
        Id = SweepLive,
        State = "running",
        Metric = "eval_loss",
        PlannedTrials = 4,
        WorkersPerTrial = 2,
        BestTrial = -1,
        Trials = { new SweepTrial { Index = 0, Params = { ["learning_rate"] = "0.0003" }, State = "running", JobId = "job-live-0" } },
    };

    public override async Task<Sweep> GetSweep(GetSweepRequest request, ServerCallContext context)
    {
        await Authorize(context);
        return request.SweepId switch
        {
            SweepDone => Done3(),
            SweepLive => Live(),
            _ => throw new RpcException(new Status(StatusCode.NotFound, $"no sweep '{request.SweepId}'")),
        };
    }

    public override async Task<ListSweepsResponse> ListSweeps(ListSweepsRequest request, ServerCallContext context)
    {
        await Authorize(context);
        return new ListSweepsResponse { Sweeps = { Done3(), Live() } };
    }
}
