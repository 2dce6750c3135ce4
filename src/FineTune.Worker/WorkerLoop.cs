using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core.Telemetry;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace FineTune.Worker;

/// <summary>Register, then heartbeat; start the job an assignment names, stop it when the coordinator says so.</summary>
public sealed class WorkerLoop(WorkerOptions options, ILogger<WorkerLoop> log, ILoggerFactory loggers) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        // A CUDA worker's GPU on the dashboard (hw.gpu.*, hw.power, hw.temperature) for as long as the worker runs.
        using var gpu = GpuTelemetry.Start(options.Device, options.Name, warning => log.LogWarning("{Warning}", warning));
        using var channel = GrpcChannel.ForAddress(options.Coordinator, new GrpcChannelOptions { MaxReceiveMessageSize = 16 << 20, MaxSendMessageSize = 16 << 20 });
        // The join token rides on every call (Register, Heartbeat, FetchBlob, Report, UploadResult), not only on Register.
        var client = new Cluster.ClusterClient(options.JoinToken is { } token
            ? channel.Intercept(headers => { headers.Add(Secrets.JoinTokenHeader, token); return headers; })
            : channel.CreateCallInvoker());
        string? workerId = null;
        JobRun? current = null;
        var interval = TimeSpan.FromMilliseconds(500); // until the coordinator says otherwise at registration
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (workerId is null)
                {
                    var registered = await client.RegisterAsync(new RegisterRequest
                    {
                        Name = options.Name,
                        Device = options.Device,
                        Threads = options.Threads,
                        RingEndpoint = options.RingEndpoint,
                        ProtocolVersion = Versions.Protocol,
                        ProductVersion = Versions.Product,
                    }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: stop);
                    workerId = registered.WorkerId;
                    if (registered.HeartbeatIntervalMs > 0) interval = TimeSpan.FromMilliseconds(registered.HeartbeatIntervalMs);
                }
                if (current is { Done: true }) current = null;
                // A deadline: a heartbeat stuck in a half-open connection must not stall the loop past the coordinator's timeout.
                var beat = await client.HeartbeatAsync(new HeartbeatRequest { WorkerId = workerId, JobId = current?.JobId ?? "", Generation = current?.Generation ?? 0 },
                    deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: stop);
                if (beat.Cancel) current?.Cancel();
                if (beat.Assignment is { } a && current is null)
                {
                    log.LogInformation("assigned job {Job} as rank {Rank} of {World}", a.JobId, a.Rank, a.WorldSize);
                    current = JobRun.Start(a, client, workerId, options, loggers.CreateLogger<JobRun>());
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                workerId = null; // the coordinator forgot us (restarted): register again
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.FailedPrecondition)
            {
                workerId = null;
                log.LogError("the coordinator refused this worker ({Status}): {Detail}; retrying", e.StatusCode, e.Status.Detail);
            }
            catch (RpcException e) when (!stop.IsCancellationRequested)
            {
                log.LogWarning("coordinator unreachable ({Status}); retrying", e.StatusCode);
            }
            await Task.Delay(interval, stop).ContinueWith(_ => { });
        }
        current?.Cancel();
    }
}
