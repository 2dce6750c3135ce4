using FineTune.Coordinator.Jobs;
using FineTune.Coordinator.Services;

// The coordinator: the Jobs API for users, the cluster API for workers, and the scheduler between them.
var builder = WebApplication.CreateBuilder(args);
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
// Folders jobs may read besides the uploads: --root DIR (repeatable) and FineTune:Roots (a list in configuration).
var roots = builder.Configuration.GetSection("FineTune:Roots").GetChildren().Select(c => c.Value).OfType<string>()
    .Concat(args.Select((a, i) => a == "--root" && i + 1 < args.Length ? args[i + 1] : a.StartsWith("--root=", StringComparison.Ordinal) ? a["--root=".Length..] : null).OfType<string>())
    .ToList();
var coordinatorOptions = new CoordinatorOptions(Path.GetFullPath(dataDir)) { Roots = roots };
try
{
    _ = new CoordinatorPaths(coordinatorOptions); // a bad --root stops the coordinator here, not at the first job
}
catch (FineTune.Core.InvalidInputException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
builder.Services.AddSingleton(coordinatorOptions);
builder.Services.AddSingleton<JobStore>();
builder.Services.AddSingleton<WorkerRegistry>();
builder.Services.AddSingleton<BlobStore>();
builder.Services.AddSingleton<TokenizationCache>();
builder.Services.AddSingleton<PreparedJobs>();
builder.Services.AddSingleton<Scheduler>();
builder.Services.AddSingleton<JobCompletion>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<Scheduler>());

var app = builder.Build();
app.MapGrpcService<JobsService>();
app.MapGrpcService<ClusterService>();
app.MapGet("/healthz", () => "ok");
app.Logger.LogInformation("coordinator data folder: {DataDir}", dataDir);
foreach (var (name, dir) in new CoordinatorPaths(coordinatorOptions).Roots) app.Logger.LogInformation("root coordinator:/{Name}/ = {Dir}", name, dir);
app.Run();
return 0;
