using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FineTune.Cli.Commands;
using FineTune.Contracts.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>A stand-in coordinator: the Jobs API on Kestrel (h2c, a free port), with canned jobs.</summary>
public sealed class FakeCoordinator : IAsyncLifetime
{
    public const string Key = "test-key";
    WebApplication? app;
    public FakeJobs Jobs { get; } = new();
    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(Jobs);
        app = builder.Build();
        app.MapGrpcService<FakeJobs>();
        await app.StartAsync();
        Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
    }
}

public sealed partial class FakeJobs : Contracts.V1.Jobs.JobsBase
{
    public const string Done = "job-done", Running = "job-running", Flaky = "job-flaky", Stopped = "stop-job";
    public const string StopReason = "ASHA rung 1: eval_loss 0.71 is not in the top third";
    public ConcurrentDictionary<string, SubmitJobRequest> Submitted { get; } = new();
    readonly ConcurrentDictionary<string, string> byRequest = new();
    int flakyWatches;

    public static Job Finished(string id, string state = "succeeded") => new()
    {
        Id = id,
        State = state,
        WorldSize = 2,
        Workers = { "worker-0", "worker-1" },
        GlobalStep = 20,
        MaxSteps = 20,
        Error = state == "failed" ? "worker-1 lost" : "",
        StopReason = state == "stopped" ? StopReason : "",
        CreatedUnixMs = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(),
        Json = new JsonObject
        {
            ["id"] = id,
            ["state"] = state,
            ["world_size"] = 2,
            ["workers"] = new JsonArray("worker-0", "worker-1"),
            ["metrics"] = state == "succeeded" ? new JsonObject { ["eval_accuracy"] = 0.9, ["global_step"] = 20 } : new JsonObject(),
            ["error"] = state == "failed" ? "worker-1 lost" : null,
            ["stop_reason"] = state == "stopped" ? StopReason : null,
            ["sweep_id"] = null,
        }.ToJsonString(),
    };

    static Job Queued(string id) => new() { Id = id, State = "queued", Json = new JsonObject { ["id"] = id, ["state"] = "queued" }.ToJsonString() };

    static Task Authorize(ServerCallContext context)
    {
        var key = context.RequestHeaders.GetValue(FineTune.Contracts.Secrets.ApiKeyHeader);
        if (key is null) throw new RpcException(new Status(StatusCode.Unauthenticated, "an API key is required"));
        if (key != FakeCoordinator.Key) throw new RpcException(new Status(StatusCode.PermissionDenied, "wrong API key"));
        return Task.CompletedTask;
    }

    public override async Task<Job> Submit(SubmitJobRequest request, ServerCallContext context)
    {
        await Authorize(context);
        if (request.Options.TryGetValue("dataset", out var d) && d == "coordinator:/missing.csv")
            throw new RpcException(new Status(StatusCode.InvalidArgument, "--dataset (dataset): missing.csv: file not found"));
        var prefix = request.Options.GetValueOrDefault("dataset") switch { "coordinator:/fail-me" => "fail-", "coordinator:/stop-me" => "stop-", _ => "job-" };
        var id = byRequest.GetOrAdd(request.RequestId, _ => prefix + Guid.NewGuid().ToString("N")[..8]);
        Submitted[id] = request;
        return Queued(id);
    }

    public override async Task<Job> GetJob(GetJobRequest request, ServerCallContext context)
    {
        await Authorize(context);
        return request.JobId switch
        {
            Done => Finished(Done),
            Stopped => Finished(Stopped, "stopped"),
            Trial => TrialJob(),
            _ => throw new RpcException(new Status(StatusCode.NotFound, $"unknown job '{request.JobId}'")),
        };
    }

    public override async Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        await Authorize(context);
        return new ListJobsResponse { Jobs = { Finished(Done), Finished(Stopped, "stopped"), TrialJob(), new Job { Id = Running, State = "running", WorldSize = 2, GlobalStep = 5, MaxSteps = 20, Json = new JsonObject { ["id"] = Running, ["state"] = "running" }.ToJsonString() } } };
    }

    public override async Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context)
    {
        await Authorize(context);
        return request.JobId switch
        {
            Running => new Job { Id = Running, State = "cancelled" },
            Done => throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job {Done} already succeeded")),
            _ => throw new RpcException(new Status(StatusCode.NotFound, $"unknown job '{request.JobId}'")),
        };
    }

    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> stream, ServerCallContext context)
    {
        await Authorize(context);
        var id = request.JobId;
        Task Send(JobEvent e)
        {
            e.JobId = id;
            return stream.WriteAsync(e);
        }
        var running = new Job { Id = id, State = "running", WorldSize = 2, Workers = { "worker-0", "worker-1" }, MaxSteps = 20 };
        if (id == Flaky)
        {
            // First watch: the stream ends while the job runs (a coordinator restart); the second sees it finish.
            var one = new Job { Id = id, State = "running", WorldSize = 1, Workers = { "worker-0" } };
            await Send(new JobEvent { Job = one });
            if (Interlocked.Increment(ref flakyWatches) % 2 == 1) return;
            await Send(new JobEvent { Step = new StepEvent { Step = 20, MaxSteps = 20, Epoch = 1, Loss = 0.1 } });
            await Send(new JobEvent { Job = Finished(id) });
            return;
        }
        if (id.StartsWith("fail-", StringComparison.Ordinal))
        {
            await Send(new JobEvent { Job = running });
            await Send(new JobEvent { Message = "worker-1 lost" });
            await Send(new JobEvent { Job = Finished(id, "failed") });
            return;
        }
        if (id.StartsWith("stop-", StringComparison.Ordinal))
        {
            // The coordinator stops the job early (a sweep's poor trial): a final state with its reason.
            await Send(new JobEvent { Job = running });
            await Send(new JobEvent { Step = new StepEvent { Step = 5, MaxSteps = 20, Epoch = 0.25, Loss = 0.7 } });
            await Send(new JobEvent { Job = Finished(id, "stopped") });
            return;
        }
        if (!id.StartsWith("job-", StringComparison.Ordinal)) throw new RpcException(new Status(StatusCode.NotFound, $"unknown job '{id}'"));
        await Send(new JobEvent { Job = Queued(id) });
        await Send(new JobEvent { Job = running });
        for (int step = 1; step <= 20; step++)
        {
            await Send(new JobEvent { Step = new StepEvent { Step = step, MaxSteps = 20, Epoch = step / 20.0, Loss = 0.7, LearningRate = 4e-5, SamplesPerSecond = 50 } });
            if (step % 10 == 0) await Send(new JobEvent { Log = new LogEvent { Step = step, Epoch = step / 20.0, Values = { ["loss"] = 0.6931, ["learning_rate"] = 4e-5 } } });
        }
        await Send(new JobEvent { Message = "checkpoint-20 saved" });
        await Send(new JobEvent { Job = Finished(id) });
    }
}
