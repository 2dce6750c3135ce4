using FineTune.Core.Torch;
using FineTune.ServiceDefaults;
using FineTune.Worker;

// A worker: joins the coordinator, waits for assignments, trains its rank of a job with the ring all-reduce.
// libtorch first, before anything touches torch (the settings check below asks whether CUDA is available): an
// external build (-p:TorchBackend=external) loads the folder FINETUNE_LIBTORCH names here.
NativeHeap.Tune(); // before libtorch allocates: big per-step buffers are reused, not page-faulted in again
var libtorch = LibTorchStartup.Prepare();
if (libtorch.Refused)
{
    Console.Error.WriteLine($"error: {libtorch.Refusal}");
    return 2;
}
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
WorkerOptions options;
try
{
    options = WorkerOptions.From(builder.Configuration); // every setting checked before anything starts
}
catch (SettingsException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
builder.Services.AddSingleton(options);
// SIGTERM: the host waits for WorkerLoop's drain (the rank stops with its group, rank 0 checkpoints) before exiting.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(10));
builder.Services.AddHostedService<WorkerLoop>();
var app = builder.Build();
app.Logger.LogInformation("{LibTorch}", libtorch.ToString()); // which libtorch, and an external one's symbol check
app.MapDefaultEndpoints();
app.MapGet("/healthz", () => "ok");
app.Run();
return 0;
