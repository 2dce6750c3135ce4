using System.Diagnostics;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core.Telemetry;
using Grpc.Core;
using Grpc.Net.Client;

namespace FineTune.Worker;

/// <summary>
/// Register, then heartbeat; start the job an assignment names, stop it when the coordinator says so. On shutdown
/// (SIGTERM: Kubernetes drains the node) the worker drains: see <see cref="Drain"/>.
/// </summary>
public sealed class WorkerLoop(WorkerOptions options, ILogger<WorkerLoop> log, ILoggerFactory loggers) : BackgroundService
{
    string? workerId;
    JobRun? current;
    TimeSpan interval = TimeSpan.FromMilliseconds(500); // until the coordinator says otherwise at registration

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        // A CUDA worker's GPU on the dashboard (hw.gpu.*, hw.power, hw.temperature) for as long as the worker runs.
        using var gpu = GpuTelemetry.Start(options.Device, options.Name, warning => log.LogWarning("{Warning}", warning));
        // Pings every 5 s: a restarted coordinator must not leave heartbeats waiting on a dead connection.
        using var channel = GrpcChannel.ForAddress(options.Coordinator, CoordinatorChannel.Options(ping: TimeSpan.FromSeconds(5)));
        // The join token rides on every call (Register, Heartbeat, FetchBlob, Report, UploadResult), not only on Register.
        var client = new Cluster.ClusterClient(Credentials.Attach(channel.CreateCallInvoker(), Secrets.JoinTokenHeader, options.JoinToken));
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
                        JobKinds = { Contracts.JobKinds.Evaluate }, // JobRun.Evaluate
                    }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: stop);
                    workerId = registered.WorkerId;
                    if (registered.HeartbeatIntervalMs > 0) interval = TimeSpan.FromMilliseconds(registered.HeartbeatIntervalMs);
                    log.LogInformation("registered with {Coordinator} ({Device}); heartbeat every {Interval} ms", options.Coordinator, options.Device, interval.TotalMilliseconds);
                }
                var beat = await Heartbeat(client, draining: false, stop);
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
            catch (Exception e) when (stop.IsCancellationRequested && e is RpcException or OperationCanceledException)
            {
                break; // the call in flight was cut by the shutdown: drain below
            }
            await Task.Delay(interval, stop).ContinueWith(_ => { });
        }
        await Drain(client);
    }

    /// <summary>One heartbeat: the job this worker runs (if any), whether it is shutting down; a stop is obeyed here.</summary>
    async Task<HeartbeatResponse> Heartbeat(Cluster.ClusterClient client, bool draining, CancellationToken cancel)
    {
        if (current is { Done: true }) current = null;
        // A deadline: a heartbeat stuck in a half-open connection must not stall the loop past the coordinator's timeout.
        var beat = await client.HeartbeatAsync(new HeartbeatRequest { WorkerId = workerId, JobId = current?.JobId ?? "", Generation = current?.Generation ?? 0, Draining = draining },
            deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancel);
        if (beat.Cancel) current?.Cancel();
        return beat;
    }

    /// <summary>
    /// Shutting down (SIGTERM, within the host's shutdown timeout): the rank in progress finishes its step and stops
    /// with its group, rank 0 saving and uploading a checkpoint there (JobRun.Preempt); meanwhile the worker heartbeats
    /// as draining, so it gets no new work, and it exits once its rank has stopped and the coordinator lets it go
    /// (leave), has forgotten it, or cannot be reached. After --drain-timeout it stops its rank and exits regardless.
    /// </summary>
    async Task Drain(Cluster.ClusterClient client)
    {
        var clock = Stopwatch.StartNew();
        current?.Preempt();
        log.LogInformation("shutting down: draining ({What}, at most {Seconds:0} s)", current is null ? "idle" : $"job {current.JobId}", options.DrainTimeout.TotalSeconds);
        using var deadline = new CancellationTokenSource(options.DrainTimeout);
        bool free = workerId is null; // never registered: nothing holds this worker
        while (!deadline.IsCancellationRequested)
        {
            try
            {
                if (!free)
                {
                    var beat = await Heartbeat(client, draining: true, deadline.Token);
                    free = beat.Leave;
                }
            }
            catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
            {
                free = true; // forgotten (NOT_FOUND), refused or unreachable: no coordinator holds this worker
            }
            if (current is { Done: true }) current = null;
            if (free && current is null) break;
            await Task.Delay(interval, deadline.Token).ContinueWith(_ => { });
        }
        if (current is { Done: false })
        {
            log.LogWarning("drain timeout ({Seconds:0} s): stopping job {Job} without waiting for its checkpoint", options.DrainTimeout.TotalSeconds, current.JobId);
            current.Cancel();
        }
        log.LogInformation("drained in {Seconds:0.0} s; exiting", clock.Elapsed.TotalSeconds);
    }
}
