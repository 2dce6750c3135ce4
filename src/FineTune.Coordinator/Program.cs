using FineTune.Coordinator;
using FineTune.Coordinator.Health;
using FineTune.Coordinator.Jobs;
using FineTune.Coordinator.Security;
using FineTune.Coordinator.Services;
using FineTune.Coordinator.Sweeps;
using FineTune.Core.Torch;
using FineTune.ServiceDefaults;

// The coordinator: the Jobs API for users, the cluster API for workers, and the scheduler between them.
// libtorch first: checking a job's checkpoint (pytorch_model.bin) goes through torch, and an external build
// (-p:TorchBackend=external) loads the folder FINETUNE_LIBTORCH names here.
var libtorch = LibTorchStartup.Prepare();
if (libtorch.Refused)
{
    Console.Error.WriteLine($"error: {libtorch.Refusal}");
    return 2;
}
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
// Every setting is read and checked here, before anything starts: a bad value stops the coordinator with one line naming it.
CoordinatorOptions options;
try
{
    options = CoordinatorSettings.Read(builder.Configuration);
}
catch (SettingsException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

// Beyond loopback, anyone on the network could submit jobs or pose as a worker: refuse to start without both secrets.
var security = SecurityOptions.From(builder.Configuration);
if (Unprotected(ListenAddresses.BeyondLoopback(ListenAddresses.Configured(builder.Configuration))) is { } refusal)
{
    Console.Error.WriteLine(refusal);
    return 2;
}

// gRPC over cleartext HTTP/2 (h2c) unless an endpoint has a certificate: set here, not in appsettings, so it holds whatever the working directory.
builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2));
builder.Services.AddGrpc(o =>
{
    // The clients' limit too: chunks are 1 MiB; anything far larger is refused with RESOURCE_EXHAUSTED.
    o.MaxReceiveMessageSize = FineTune.Contracts.CoordinatorChannel.MaxMessageBytes;
    o.MaxSendMessageSize = FineTune.Contracts.CoordinatorChannel.MaxMessageBytes;
})
    .AddServiceOptions<JobsService>(o => o.Interceptors.Add<ApiKeyInterceptor>())
    .AddServiceOptions<ClusterService>(o => o.Interceptors.Add<JoinTokenInterceptor>());
builder.Services.AddSingleton(security);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton<JobStore>();
builder.Services.AddSingleton<WorkerRegistry>();
builder.Services.AddSingleton<BlobStore>();
builder.Services.AddSingleton<TokenizationCache>();
builder.Services.AddSingleton<PreparedJobs>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<JobLifecycle>();
builder.Services.AddSingleton<IJobPreparation, JobPreparation>();
builder.Services.AddSingleton<Scheduler>();
builder.Services.AddSingleton<JobCompletion>();
builder.Services.AddSingleton<JobCheckpoints>();
builder.Services.AddSingleton<JobPushes>();
builder.Services.AddSingleton<Heartbeats>();
builder.Services.AddSingleton<JobDataWork>();
builder.Services.AddSingleton<SweepStore>();
builder.Services.AddSingleton<SweepWork>();
builder.Services.AddSingleton(sp => new SweepRunner(sp.GetRequiredService<SweepStore>(), sp.GetRequiredService<JobStore>(), sp.GetRequiredService<WorkerRegistry>(),
    sp.GetRequiredService<JobLifecycle>(), sp.GetRequiredService<SweepWork>(), sp.GetRequiredService<ILogger<SweepRunner>>())
{ StartData = sp.GetRequiredService<JobDataWork>().Start }); // a trial's data is read as a submitted job's
builder.Services.AddCoordinatorHealth();
builder.Services.AddSingleton<JobTelemetry>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<Scheduler>());
builder.Services.AddHostedService(sp => sp.GetRequiredService<JobDataWork>());
builder.Services.AddHostedService(sp => sp.GetRequiredService<SweepRunner>());

var app = builder.Build();
if (libtorch.External is not null) app.Logger.LogInformation("{LibTorch}", libtorch.ToString());
app.Services.GetRequiredService<JobTelemetry>(); // subscribes to job state changes from the start
app.Services.GetRequiredService<JobCompletion>(); // likewise (it drops a generation's reports when the generation ends)
app.Services.GetRequiredService<JobLifecycle>().Reopen(); // the jobs loaded: before anything is served or scheduled
app.MapGrpcService<JobsService>();
app.MapGrpcService<ClusterService>();
app.MapGrpcHealthChecksService(); // no interceptor: kubelet's grpc probe sends no key
app.MapDefaultEndpoints();
app.MapGet("/healthz", () => "ok");
app.Logger.LogInformation("coordinator data folder: {DataDir}; Jobs API key {ApiKey}, join token {JoinToken}", options.DataDir,
    security.ApiKey is null ? "off" : "required", security.JoinToken is null ? "off" : "required");
await app.StartAsync();
// The addresses Kestrel really bound (endpoints from any configuration source): checked again before serving on.
if (Unprotected(ListenAddresses.BeyondLoopback(app.Urls)) is { } late)
{
    app.Logger.LogCritical("{Refusal}", late);
    await app.StopAsync();
    return 2;
}
await app.WaitForShutdownAsync();
return 0;

string? Unprotected(string? exposed) => exposed is null ? null : (security.ApiKey, security.JoinToken) switch
{
    (null, null) => $"error: the coordinator listens beyond loopback ({exposed}) but has no API key and no join token: set --api-key (FineTune__ApiKey) and --join-token (FineTune__JoinToken), or listen on 127.0.0.1 only",
    (null, _) => $"error: the coordinator listens beyond loopback ({exposed}) but has no API key: set --api-key (FineTune__ApiKey), or listen on 127.0.0.1 only",
    (_, null) => $"error: the coordinator listens beyond loopback ({exposed}) but has no join token for workers: set --join-token (FineTune__JoinToken), or listen on 127.0.0.1 only",
    _ => null,
};
