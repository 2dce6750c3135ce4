using System.Runtime.CompilerServices;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using Grpc.Core;

namespace FineTune.Cli.Commands;

/// <summary>The Jobs API's sweep calls.</summary>
public sealed partial class CoordinatorClient
{
    public Sweep SubmitSweep(string name, string text, string requestId) => Call(() => jobs.SubmitSweep(
        new SubmitSweepRequest { Name = name, Text = text, RequestId = requestId, ProtocolVersion = Versions.Protocol, ProductVersion = Versions.Product },
        Options(SubmitDeadline)));

    public Sweep GetSweep(string sweepId) => Call(() => jobs.GetSweep(new GetSweepRequest { SweepId = sweepId }, Options(QueryDeadline)));

    public IReadOnlyList<Sweep> ListSweeps() => Call(() => jobs.ListSweeps(new ListSweepsRequest(), Options(QueryDeadline)).Sweeps);

    public Sweep CancelSweep(string sweepId) => Call(() => jobs.CancelSweep(new CancelSweepRequest { SweepId = sweepId }, Options(QueryDeadline)));

    /// <summary>The sweep as it is, then after every change, until it ends.</summary>
    public async IAsyncEnumerable<Sweep> WatchSweep(string sweepId, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        using var call = Call(() => jobs.WatchSweep(new WatchSweepRequest { SweepId = sweepId }, cancellationToken: cancel));
        await foreach (var sweep in Read(call, cancel)) yield return sweep;
    }
}
