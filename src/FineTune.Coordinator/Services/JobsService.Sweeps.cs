using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Coordinator.Sweeps;
using Grpc.Core;

namespace FineTune.Coordinator.Services;

/// <summary>The Jobs API's sweep calls: a thin face over the sweep store and runner.</summary>
public sealed partial class JobsService
{
    public override Task<Sweep> SubmitSweep(SubmitSweepRequest request, ServerCallContext context)
    {
        if (Versions.Mismatch("client", request.ProtocolVersion, request.ProductVersion) is { } mismatch)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, mismatch));
        if (request.RequestId.Length > 0 && sweeps.FindByRequestId(request.RequestId) is { } existing) return Task.FromResult(SweepMessages.ToMessage(existing));
        var checkedSweep = Invalid(() => SweepSubmission.Check(request.Name, request.Text, request.RequestId, coordinator, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        var sweep = sweeps.Add(checkedSweep);
        if (ReferenceEquals(sweep, checkedSweep)) _ = runner.Start(sweep); // the splits are written in the background
        return Task.FromResult(SweepMessages.ToMessage(sweep));
    }

    public override Task<Sweep> GetSweep(GetSweepRequest request, ServerCallContext context) => Task.FromResult(SweepMessages.ToMessage(FindSweep(request.SweepId)));

    public override Task<ListSweepsResponse> ListSweeps(ListSweepsRequest request, ServerCallContext context)
    {
        var response = new ListSweepsResponse();
        response.Sweeps.AddRange(sweeps.All().Select(SweepMessages.ToMessage));
        return Task.FromResult(response);
    }

    public override async Task WatchSweep(WatchSweepRequest request, IServerStreamWriter<Sweep> stream, ServerCallContext context)
    {
        var reader = sweeps.Watch(FindSweep(request.SweepId));
        await foreach (var s in reader.ReadAllAsync(context.CancellationToken)) await stream.WriteAsync(s);
    }

    public override Task<Sweep> CancelSweep(CancelSweepRequest request, ServerCallContext context)
    {
        var sweep = FindSweep(request.SweepId);
        if (!runner.Cancel(sweep)) throw new RpcException(new Status(StatusCode.FailedPrecondition, $"sweep {sweep.Id} is already {sweep.State}"));
        return Task.FromResult(SweepMessages.ToMessage(sweep));
    }

    SweepRecord FindSweep(string id) => sweeps.Find(id) ?? throw new RpcException(new Status(StatusCode.NotFound, $"no sweep '{id}'"));
}
