#pragma warning disable ASPIRECERTIFICATES001 // WithoutHttpsCertificate is experimental in Aspire 13.6, and the documented way to say "no TLS"
using FineTune.AppHost;
using FineTune.AppHost.Dashboard;
using FineTune.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

// The system's wiring diagram: one coordinator (the Jobs API for users, the cluster API for workers), N workers that
// join it and train their rank of a job, and a demo resource that submits the default job through the `finetune` CLI.
// Settings (command line `--Workers 3`, or environment `Workers=3`):
//   Workers   how many workers (default: one per GPU when the device is cuda, chosen or picked by auto, else 2)
//   Device    auto (default: cuda when the machine has GPUs and the build carries CUDA libtorch, else cpu), cpu or
//             cuda: cuda gives worker i `--device cuda:i`
//   Threads   CPU threads per worker (default: the cores divided among the workers, so they do not oversubscribe)
//   Demo      false: start the cluster without submitting the default job
//   DataDir   where the coordinator and the workers keep their state (default: the user's local data folder)
//   CoordinatorPort  5100 by default, so `finetune status/list/watch` reach the coordinator with no flags
var builder = DistributedApplication.CreateBuilder(args);
ClusterSettings settings;
try
{
    settings = ClusterSettings.From(builder.Configuration);
}
catch (SettingsException e)
{
    Console.Error.WriteLine($"error: {e.Message}"); // a bad setting: one line naming it, no stack trace
    return 2;
}

var coordinator = builder.AddProject<Projects.FineTune_Coordinator>("coordinator")
    .WithoutHttpsCertificate() // plain HTTP everywhere (h2c for gRPC): no development certificate to trust
    .WithHttpEndpoint(port: settings.CoordinatorPort, targetPort: settings.CoordinatorPort, name: "http", isProxied: false)
    .WithArgs(DataDir("coordinator"))
    .WithLibTorch()
    .WithHealthCheck(CoordinatorHealthCheck.Register(builder, settings.CoordinatorPort))
    .WithSubmitJobCommand(settings.Workers);
var coordinatorUrl = coordinator.GetEndpoint("http");

// The coordinator's jobs and sweeps as rows under it (JobMirror: ListJobs and ListSweeps every 2 s, WatchJob per live
// job), a sweep's trials under the sweep, with the jobs' commands.
if (builder.ExecutionContext.IsRunMode)
{
    var jobs = builder.AddResource(new JobsResource("jobs"))
        .WithInitialState(JobRow.Initial)
        .WithParentRelationship(coordinator)
        .WithJobCommands()
        .ExcludeFromManifest();
    builder.Services.AddSingleton(new JobsClient(settings.CoordinatorPort));
    builder.Services.AddSingleton(jobs.Resource);
    var sweeps = builder.AddResource(new SweepsResource("sweeps"))
        .WithInitialState(SweepRow.Initial)
        .WithParentRelationship(coordinator)
        .ExcludeFromManifest();
    builder.Services.AddSingleton(sweeps.Resource);
    builder.Services.AddSingleton(new DownloadsServer(Path.Combine(settings.DataDir, "downloads")));
    builder.Services.AddHostedService(services => services.GetRequiredService<DownloadsServer>());
    builder.Services.AddSingleton<JobMirror>();
    builder.Services.AddHostedService(services => services.GetRequiredService<JobMirror>());
}

for (int i = 0; i < settings.Workers; i++)
{
    var name = $"worker-{i}"; // a variable, not an interpolation inside WithEnvironment (that binds to the ReferenceExpression overload)
    builder.AddProject<Projects.FineTune_Worker>(name)
        .WithoutHttpsCertificate()
        .WithArgs(["--name", name, "--device", settings.DeviceOf(i), "--threads", settings.Threads.ToString(),
            "--urls", "http://127.0.0.1:0", .. DataDir(name)]) // the ring's port is picked by the worker
        .WithEnvironment("FineTune__Coordinator", coordinatorUrl)
        .WithLibTorch()
        .WaitFor(coordinator);
}

if (settings.Demo)
{
    builder.AddProject<Projects.FineTune_Cli>("demo")
        .WithoutHttpsCertificate()
        .WithArgs("submit", "--workers", settings.Workers.ToString(), "--wait")
        .WithEnvironment("FINETUNE_COORDINATOR", coordinatorUrl)
        .WithLibTorch()
        .WaitFor(coordinator);
}

builder.Build().Run();
return 0;

// This machine's state folders when running; a published manifest leaves them to the services' defaults.
string[] DataDir(string resource) => builder.ExecutionContext.IsRunMode ? ["--data-dir", settings.DataDirOf(resource)] : [];
