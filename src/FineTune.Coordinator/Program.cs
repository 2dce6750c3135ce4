using FineTune.Coordinator.Jobs;
using FineTune.Coordinator.Security;
using FineTune.Coordinator.Services;

// The coordinator: the Jobs API for users, the cluster API for workers, and the scheduler between them.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
var dataDir = builder.Configuration["data-dir"] ?? builder.Configuration["FineTune:DataDir"]
    ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "finetune", "coordinator");

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
    o.MaxReceiveMessageSize = 16 << 20; // chunks are 1 MiB; anything far larger is refused with RESOURCE_EXHAUSTED
    o.MaxSendMessageSize = 16 << 20;
})
    .AddServiceOptions<JobsService>(o => o.Interceptors.Add<ApiKeyInterceptor>())
    .AddServiceOptions<ClusterService>(o => o.Interceptors.Add<JoinTokenInterceptor>());
builder.Services.AddSingleton(security);
// Timing knobs in seconds (command line or FineTune__... settings); the defaults suit a real cluster.
TimeSpan Seconds(string key, TimeSpan fallback) =>
    (builder.Configuration[key] ?? builder.Configuration[$"FineTune:{key}"]) is string v
        ? double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"--{key} {v}: must be a positive number of seconds")
        : fallback;
var defaults = new CoordinatorOptions(Path.GetFullPath(dataDir));
builder.Services.AddSingleton(defaults with
{
    HeartbeatTimeout = Seconds("heartbeat-timeout", defaults.HeartbeatTimeout),
    CollectiveTimeout = Seconds("collective-timeout", defaults.CollectiveTimeout),
    RecoveryWait = Seconds("recovery-wait", defaults.RecoveryWait),
    MaxWorkers = int.TryParse(builder.Configuration["max-workers"] ?? builder.Configuration["FineTune:MaxWorkers"], out var max) && max > 0 ? max : CoordinatorOptions.DefaultMaxWorkers,
    DataRoots = DataRoots(builder.Configuration),
});
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
builder.Services.AddSingleton<JobTelemetry>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<Scheduler>());

var app = builder.Build();
app.Services.GetRequiredService<JobTelemetry>(); // subscribes to job state changes from the start
app.MapGrpcService<JobsService>();
app.MapGrpcService<ClusterService>();
app.MapDefaultEndpoints();
app.MapGet("/healthz", () => "ok");
app.Logger.LogInformation("coordinator data folder: {DataDir}; Jobs API key {ApiKey}, join token {JoinToken}", dataDir,
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

// Folders on the coordinator that jobs may name directly (besides uploads): --data-roots A;B or FineTune:DataRoots:0..n.
static IReadOnlyList<string> DataRoots(IConfiguration c)
{
    var roots = (c["data-roots"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    roots.AddRange(c.GetSection("FineTune:DataRoots").GetChildren().Select(s => s.Value).OfType<string>());
    if (c["FineTune:DataRoots"] is { Length: > 0 } single) roots.AddRange(single.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    return roots.Select(Path.GetFullPath).Distinct().ToList();
}
