using System.Diagnostics;
using FineTune.Contracts;
using FineTune.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>Raw gRPC and CLI calls against a test coordinator, with or without its secrets.</summary>
static class CoordinatorCalls
{
    public static Jobs.JobsClient Jobs(GrpcChannel channel) => new(channel);

    public static Metadata ApiKey(string key) => new() { { Secrets.ApiKeyHeader, key } };

    public static Metadata JoinToken(string token) => new() { { Secrets.JoinTokenHeader, token } };

    public static RpcException Refused(Action call) => Assert.Throws<RpcException>(call);

    /// <summary>`finetune ARGS` with extra environment variables (FINETUNE_API_KEY and FINETUNE_COORDINATOR cleared first).</summary>
    public static Cli.FinetuneProcess.Result Finetune(Dictionary<string, string>? env, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "finetune.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["FINETUNE_CACHE"] = Cli.FinetuneProcess.TestCache;
        start.Environment["FINETUNE_DEBUG"] = "0";
        start.Environment.Remove("FINETUNE_API_KEY");
        start.Environment.Remove("FINETUNE_COORDINATOR");
        foreach (var (k, v) in env ?? []) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"finetune {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return new Cli.FinetuneProcess.Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
