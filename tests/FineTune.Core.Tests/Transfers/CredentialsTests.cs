using FineTune.Contracts;
using FineTune.Contracts.V1;
using Grpc.Core;

namespace FineTune.Core.Tests.Transfers;

/// <summary>The one way a client sends its secret: an interceptor on the invoker, on every kind of call.</summary>
public class CredentialsTests
{
    static string? Header(Metadata? headers, string name) => headers?.GetValue(name);

    [Fact]
    public async Task Every_call_through_the_intercepted_invoker_carries_the_secret()
    {
        var channel = new RecordingInvoker();
        var jobs = new Jobs.JobsClient(Credentials.Attach(channel, Secrets.ApiKeyHeader, "key-1"));

        jobs.GetJob(new GetJobRequest { JobId = "j" });                              // blocking unary
        await jobs.ListJobsAsync(new ListJobsRequest());                              // async unary
        using (jobs.Download(new DownloadRequest { JobId = "j" })) { }              // server streaming
        using (jobs.Upload()) { }                                                     // client streaming

        Assert.Equal(4, channel.Headers.Count);
        Assert.All(channel.Headers, h => Assert.Equal("key-1", Header(h, Secrets.ApiKeyHeader)));
        Assert.All(channel.Headers, h => Assert.Single(h!, e => e.Key == Secrets.ApiKeyHeader));
    }

    [Fact]
    public void A_callers_own_headers_are_kept_and_left_unchanged()
    {
        var channel = new RecordingInvoker();
        var cluster = new Contracts.V1.Cluster.ClusterClient(Credentials.Attach(channel, Secrets.JoinTokenHeader, "token-2"));
        var mine = new Metadata { { "x-request", "r1" } };

        cluster.Heartbeat(new HeartbeatRequest(), mine);
        cluster.Heartbeat(new HeartbeatRequest(), mine);

        Assert.All(channel.Headers, h =>
        {
            Assert.Equal("r1", Header(h, "x-request"));
            Assert.Single(h!, e => e.Key == Secrets.JoinTokenHeader && e.Value == "token-2");
        });
        Assert.Single(mine); // the caller's Metadata is not where the secret goes
    }

    [Fact]
    public void No_secret_leaves_the_invoker_as_it_is()
    {
        var channel = new RecordingInvoker();
        Assert.Same(channel, Credentials.Attach(channel, Secrets.ApiKeyHeader, null));
        new Jobs.JobsClient(Credentials.Attach(channel, Secrets.ApiKeyHeader, null)).GetJob(new GetJobRequest());
        Assert.Null(Header(channel.Headers[0], Secrets.ApiKeyHeader));
    }
}
