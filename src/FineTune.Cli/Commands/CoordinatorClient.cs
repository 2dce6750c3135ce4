using System.CommandLine;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using FineTune.Contracts;
using FineTune.Contracts.Transfers;
using FineTune.Contracts.V1;
using FineTune.Core;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace FineTune.Cli.Commands;

/// <summary>--coordinator and --api-key, shared by the commands that talk to a coordinator.</summary>
public sealed class CoordinatorOptions
{
    public const string DefaultAddress = "http://127.0.0.1:5100";

    // No DefaultValueFactory: --help would print the environment's API key.
    public Option<string?> Address { get; } = new("--coordinator") { Description = $"coordinator URL (default: $FINETUNE_COORDINATOR, else {DefaultAddress})" };
    public Option<string?> ApiKey { get; } = new("--api-key") { Description = "API key for the coordinator's Jobs API (default: $FINETUNE_API_KEY)" };

    public void AddTo(Command command)
    {
        command.Options.Add(Address);
        command.Options.Add(ApiKey);
    }

    public CoordinatorClient Connect(ParseResult parse) => new(
        NonEmpty(parse.GetValue(Address)) ?? NonEmpty(Environment.GetEnvironmentVariable("FINETUNE_COORDINATOR")) ?? DefaultAddress,
        NonEmpty(parse.GetValue(ApiKey)) ?? NonEmpty(Environment.GetEnvironmentVariable("FINETUNE_API_KEY")));

    static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>
/// The client side of the Jobs API (protos/finetune/v1/jobs.proto). Every RpcException leaving it carries the
/// coordinator's address in <c>Data["coordinator"]</c>, so <see cref="Cli"/> can say which coordinator it could not reach.
/// </summary>
public sealed partial class CoordinatorClient : IDisposable
{
    static readonly TimeSpan QueryDeadline = TimeSpan.FromMinutes(1);
    // Submit answers within a second or so (the data is read after it); uploads and downloads of large files take longer.
    static readonly TimeSpan SubmitDeadline = TimeSpan.FromMinutes(5);
    const long MaxDownloadBytes = 64L << 30; // per file: the coordinator's own limit on what rank 0 sends it

    readonly GrpcChannel channel;
    readonly Jobs.JobsClient jobs;

    public string Address { get; }

    public CoordinatorClient(string address, string? apiKey)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidInputException($"--coordinator: '{address}' is not an http:// or https:// URL");
        Address = address;
        // A watch can sit quiet for minutes (data preparation, evaluation): pings keep it alive and notice a dead coordinator.
        var channelOptions = CoordinatorChannel.Options(ping: TimeSpan.FromSeconds(20));
        // Submit carries a request id, so retrying it (and the read-only calls) when the coordinator is briefly unavailable is safe.
        channelOptions.ServiceConfig = new ServiceConfig
        {
            MethodConfigs =
                {
                    new MethodConfig
                    {
                        Names = { new MethodName { Service = "finetune.v1.Jobs", Method = "Submit" }, new MethodName { Service = "finetune.v1.Jobs", Method = "GetJob" }, new MethodName { Service = "finetune.v1.Jobs", Method = "ListJobs" } },
                        RetryPolicy = new RetryPolicy
                        {
                            MaxAttempts = 3,
                            InitialBackoff = TimeSpan.FromSeconds(0.5),
                            MaxBackoff = TimeSpan.FromSeconds(2),
                            BackoffMultiplier = 2,
                            RetryableStatusCodes = { StatusCode.Unavailable },
                        },
                    },
                },
        };
        channel = GrpcChannel.ForAddress(uri, channelOptions);
        // The API key rides on every call through the interceptor, never in a command's own headers.
        jobs = new Jobs.JobsClient(Credentials.Attach(channel.CreateCallInvoker(), Secrets.ApiKeyHeader, apiKey));
    }

    public Job Submit(IReadOnlyDictionary<string, string> options, string requestId)
    {
        var request = new SubmitJobRequest { RequestId = requestId, ProtocolVersion = Versions.Protocol, ProductVersion = Versions.Product };
        foreach (var (key, value) in options) request.Options[key] = value;
        return Call(() => jobs.Submit(request, Options(SubmitDeadline)));
    }

    /// <summary>
    /// Sends a local file or folder to the coordinator (chunked, each file's SHA-256 checked there) and returns the
    /// `coordinator:/uploads/...` path that names it in a job. Stored by content: an unchanged file is sent again but stored once.
    /// </summary>
    public string Upload(string localPath) =>
        Call(() => Uploads.UploadAsync(localPath, file => Uploads.SendAsync(jobs, file, DateTime.UtcNow + SubmitDeadline)).GetAwaiter().GetResult());

    /// <summary>A succeeded job's output files into <paramref name="dir"/>, each checked against its SHA-256; returns the names.</summary>
    public IReadOnlyList<string> Download(string jobId, string dir)
    {
        Directory.CreateDirectory(dir);
        using var call = Call(() => jobs.Download(new DownloadRequest { JobId = jobId }, deadline: DateTime.UtcNow + SubmitDeadline));
        using var receiver = new FileChunkReceiver(dir, MaxDownloadBytes); // each file written aside, renamed once checked
        return Call(() => FileTransfers.ReceiveAsync(call.ResponseStream, receiver).GetAwaiter().GetResult()).Select(f => f.Name).ToList();
    }

    public Job Get(string jobId) => Call(() => jobs.GetJob(new GetJobRequest { JobId = jobId }, Options(QueryDeadline)));

    public IReadOnlyList<Job> List() => Call(() => jobs.ListJobs(new ListJobsRequest(), Options(QueryDeadline)).Jobs);

    public Job Cancel(string jobId) => Call(() => jobs.CancelJob(new CancelJobRequest { JobId = jobId }, Options(QueryDeadline)));

    /// <summary>PushJob: the coordinator pushes the succeeded job's output to the hub again (in the background).</summary>
    public Job Push(string jobId) => Call(() => jobs.PushJob(new PushJobRequest { JobId = jobId }, Options(QueryDeadline)));

    /// <summary>The job's events until it ends (the stream closes) or <paramref name="cancel"/> fires.</summary>
    public async IAsyncEnumerable<JobEvent> Watch(string jobId, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        using var call = Call(() => jobs.WatchJob(new WatchJobRequest { JobId = jobId }, new CallOptions(cancellationToken: cancel)));
        await foreach (var e in Read(call, cancel)) yield return e;
    }

    /// <summary>A server stream's messages until it closes; its RpcException annotated as every call's is.</summary>
    async IAsyncEnumerable<T> Read<T>(AsyncServerStreamingCall<T> call, [EnumeratorCancellation] CancellationToken cancel)
    {
        while (true)
        {
            bool more;
            try
            {
                more = await call.ResponseStream.MoveNext(cancel);
            }
            catch (RpcException e)
            {
                throw Annotate(e);
            }
            if (!more) yield break;
            yield return call.ResponseStream.Current;
        }
    }

    static CallOptions Options(TimeSpan deadline) => new(deadline: DateTime.UtcNow + deadline);

    T Call<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (RpcException e)
        {
            throw Annotate(e);
        }
    }

    RpcException Annotate(RpcException e)
    {
        e.Data["coordinator"] = Address;
        return e;
    }

    public void Dispose() => channel.Dispose();

    // ---- the job object, shared by the commands ----

    public static bool IsFinished(Job job) => JobStates.StateOf(job).IsFinal();

    /// <summary>The job object of the --json contract: the Job's <c>json</c>, or its scalar fields when the coordinator sent none.</summary>
    public static JsonObject ToJson(Job job)
    {
        if (!string.IsNullOrWhiteSpace(job.Json))
        {
            try
            {
                if (JsonNode.Parse(job.Json) is JsonObject o)
                {
                    if (!o.ContainsKey("sweep_id")) o["sweep_id"] = job.SweepId is "" ? null : job.SweepId; // a coordinator before sweeps wrote none
                    return o;
                }
            }
            catch (JsonException)
            {
            }
        }
        return new JsonObject
        {
            ["id"] = job.Id,
            ["state"] = job.State,
            ["world_size"] = job.WorldSize,
            ["workers"] = new JsonArray(job.Workers.Select(w => (JsonNode?)w).ToArray()),
            ["output_dir"] = job.OutputDir is "" ? null : job.OutputDir,
            ["error"] = job.Error is "" ? null : job.Error,
            ["sweep_id"] = job.SweepId is "" ? null : job.SweepId,
            ["kind"] = job.Kind is "" ? JobKinds.Train : job.Kind,
        };
    }
}
