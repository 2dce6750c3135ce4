using System.Diagnostics;
using System.Globalization;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using FineTune.Core.Modeling.Pretrained;
using Grpc.Core;
using Grpc.Net.Client;

/// <summary>
/// The client side of tests/benchmarks/submit-latency.sh: one job against a running coordinator, timed from the moment
/// Submit is sent. Prints one line, "submit-latency: submit_s S first_step_s F preparing_s P running_s R job ID state
/// STATE", where S is the Submit RPC's latency (sent to reply), F the time to the first StepEvent (or the first Job
/// event with global_step >= 1, whichever comes first) on WatchJob, called right after the reply, and P and R the times
/// to the first Job event in state preparing and running ("-" when not seen). Then it cancels the job.
/// It sends protocol_version 0 (accepted by every coordinator), so one client times builds of different protocols.
/// `submit-latency --prepare-model` only converts the default model into the cache (once) and exits.
/// </summary>
static class SubmitLatencyBenchmark
{
    public static int Run(string[] args)
    {
        if (args.Contains("--prepare-model"))
        {
            Console.WriteLine($"default model: {DefaultModel.EnsureFolder()}");
            return 0;
        }
        var o = new BenchmarkOptions(args);
        var address = o.String("--coordinator");
        var timeout = TimeSpan.FromSeconds(o.Double("--timeout", 600));
        // Job options as key=value (spec-file names, e.g. dataset=/abs/path max_steps=5), after --option each.
        var options = new Dictionary<string, string>();
        for (int i = 0; i < args.Length - 1; i++)
            if (args[i] == "--option" && args[i + 1].Split('=', 2) is [var k, var v]) options[k] = v;

        using var channel = GrpcChannel.ForAddress(address, CoordinatorChannel.Options(TimeSpan.FromSeconds(30)));
        var jobs = new Jobs.JobsClient(channel);
        // Warm up the channel (HTTP/2 connection) and this process's gRPC code paths, so that Submit's time is the RPC's.
        for (int i = 0; i < 3; i++) jobs.ListJobs(new ListJobsRequest(), deadline: DateTime.UtcNow.AddSeconds(10));

        var request = new SubmitJobRequest { RequestId = Guid.NewGuid().ToString(), ProtocolVersion = 0, ProductVersion = "submit-latency-benchmark" };
        foreach (var (k, v) in options) request.Options[k] = v;

        var clock = Stopwatch.StartNew();
        Job job;
        try { job = jobs.Submit(request, deadline: DateTime.UtcNow.Add(timeout)); }
        catch (RpcException e)
        {
            Console.Error.WriteLine($"submit-latency: Submit failed after {clock.Elapsed.TotalSeconds:F3} s: {e.Status.StatusCode}: {e.Status.Detail}");
            return 1;
        }
        double submitted = clock.Elapsed.TotalSeconds;
        double? firstStep = null, preparing = null, running = null;
        string state = job.State;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                using var watch = jobs.WatchJob(new WatchJobRequest { JobId = job.Id }, cancellationToken: cts.Token);
                while (firstStep is null && watch.ResponseStream.MoveNext(cts.Token).GetAwaiter().GetResult())
                {
                    var e = watch.ResponseStream.Current;
                    double now = clock.Elapsed.TotalSeconds;
                    if (e.EventCase == JobEvent.EventOneofCase.Step && e.Step.Step >= 1) firstStep = now;
                    if (e.EventCase != JobEvent.EventOneofCase.Job) continue;
                    state = e.Job.State;
                    if (state == "preparing") preparing ??= now;
                    if (state == "running") running ??= now;
                    if (e.Job.GlobalStep >= 1) firstStep ??= now;
                    if (state is "succeeded" or "failed" or "cancelled" or "stopped")
                    {
                        Console.Error.WriteLine($"submit-latency: job {job.Id} ended {state} before its first step: {e.Job.Error}");
                        break;
                    }
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException)
            {
                Console.Error.WriteLine($"submit-latency: watching {job.Id} stopped after {clock.Elapsed.TotalSeconds:F1} s: {e.Message}");
            }
        }
        try { state = jobs.CancelJob(new CancelJobRequest { JobId = job.Id }, deadline: DateTime.UtcNow.AddSeconds(30)).State; }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition) { } // it had ended already

        static string S(double? s) => s is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";
        Console.WriteLine($"submit-latency: submit_s {S(submitted)} first_step_s {S(firstStep)} preparing_s {S(preparing)} running_s {S(running)} job {job.Id} state {state}");
        return firstStep is null ? 1 : 0;
    }
}
