using FineTune.Coordinator.Jobs;
using FineTune.Coordinator.Services;

// The coordinator: the Jobs API for users, the cluster API for workers, and the scheduler between them.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
var dataDir = builder.Configuration["data-dir"] ?? builder.Configuration["FineTune:DataDir"]
    ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "finetune", "coordinator");

// gRPC over cleartext HTTP/2 (h2c): set here, not in appsettings, so it holds whatever the working directory.
builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(e => e.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2));
builder.Services.AddGrpc(o =>
{
    o.MaxReceiveMessageSize = 16 << 20; // chunks are 1 MiB; anything far larger is refused with RESOURCE_EXHAUSTED
    o.MaxSendMessageSize = 16 << 20;
});
builder.Services.AddSingleton(new CoordinatorOptions(Path.GetFullPath(dataDir)));
builder.Services.AddSingleton<JobStore>();
builder.Services.AddSingleton<WorkerRegistry>();
builder.Services.AddSingleton<BlobStore>();
builder.Services.AddSingleton<Scheduler>();
builder.Services.AddSingleton<JobCompletion>();
builder.Services.AddSingleton<JobTelemetry>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<Scheduler>());

var app = builder.Build();
app.Services.GetRequiredService<JobTelemetry>(); // subscribes to job state changes from the start
app.MapGrpcService<JobsService>();
app.MapGrpcService<ClusterService>();
app.MapDefaultEndpoints();
app.MapGet("/healthz", () => "ok");
app.Logger.LogInformation("coordinator data folder: {DataDir}", dataDir);
app.Run();
