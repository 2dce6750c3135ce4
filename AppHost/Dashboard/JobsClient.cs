using FineTune.Contracts;
using Grpc.Net.Client;

namespace FineTune.AppHost.Dashboard;

/// <summary>The AppHost's own Jobs API client, to the coordinator it started on loopback (HTTP/2 cleartext).</summary>
public sealed class JobsClient(int coordinatorPort) : IDisposable
{
    readonly GrpcChannel channel = GrpcChannel.ForAddress($"http://127.0.0.1:{coordinatorPort}", CoordinatorChannel.Options(TimeSpan.FromSeconds(10)));

    public Contracts.V1.Jobs.JobsClient Jobs => new(channel);

    public void Dispose() => channel.Dispose();
}
