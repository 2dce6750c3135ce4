using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FineTune.Contracts.V1;
using FineTune.Core.Tests.Training;
using Grpc.Core;
using Grpc.Net.Client;
using static FineTune.Cluster.Tests.Cluster.CoordinatorCalls;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>
/// Who may talk to a real coordinator: the Jobs API key, the workers' join token, the refusal to listen beyond
/// loopback without them, secrets kept out of logs and records, and idempotent submission across a restart.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class ClusterSecurityTests
{
    static (int ExitCode, string Output) RunCoordinator(params string[] args) => Services.ServiceRefusal.Run("FineTune.Coordinator.dll", args);

    static int FreePort()
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    [Fact]
    public void The_coordinator_refuses_to_listen_beyond_loopback_without_an_api_key_and_a_join_token()
    {
        var data = Path.Combine(Path.GetTempPath(), "finetune-tests", "exposed-" + Guid.NewGuid().ToString("N")[..8]);
        var url = $"http://0.0.0.0:{FreePort()}";
        var none = RunCoordinator("--urls", url, "--data-dir", data);
        Assert.True(none.ExitCode == 2, none.Output);
        Assert.Contains("listens beyond loopback", none.Output);
        Assert.Contains("--api-key", none.Output);
        Assert.Contains("--join-token", none.Output);
        Assert.DoesNotContain("   at ", none.Output);

        var keyOnly = RunCoordinator("--urls", url, "--data-dir", data, "--api-key", "some-key");
        Assert.True(keyOnly.ExitCode == 2, keyOnly.Output);
        Assert.Contains("no join token", keyOnly.Output);
        Assert.DoesNotContain("some-key", keyOnly.Output);
    }

    [Fact]
    public void Api_key_and_join_token_guard_every_call_and_the_job_still_trains_over_a_secret_ring()
    {
        var key = "key-" + Guid.NewGuid().ToString("N");
        var token = "join-" + Guid.NewGuid().ToString("N");
        var (model, dataset, _) = TinyJobs.Setup(80);
        using var c = new ClusterProcesses(workers: 2, coordinatorArgs: ["--api-key", key, "--join-token", token], workerArgs: ["--join-token", token]);
        c.StartWorker("intruder", "--join-token", "guessed-" + Guid.NewGuid().ToString("N"));
        c.StartWorker("anonymous");

        // Jobs API: no key and a wrong key are UNAUTHENTICATED, for unary and streaming calls; both header forms work.
        using var channel = GrpcChannel.ForAddress(c.Url);
        var jobs = Jobs(channel);
        var e = Refused(() => jobs.ListJobs(new ListJobsRequest()));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("requires an API key", e.Status.Detail);
        Assert.Equal(StatusCode.Unauthenticated, Refused(() => jobs.ListJobs(new ListJobsRequest(), ApiKey("wrong"))).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, Refused(() => jobs.Submit(new SubmitJobRequest(), ApiKey(key + "x"))).StatusCode);
        var watch = jobs.WatchJob(new WatchJobRequest { JobId = "any" });
        Assert.Equal(StatusCode.Unauthenticated, Refused(() => watch.ResponseStream.MoveNext(CancellationToken.None).GetAwaiter().GetResult()).StatusCode);
        jobs.ListJobs(new ListJobsRequest(), ApiKey(key));
        jobs.ListJobs(new ListJobsRequest(), new Metadata { { "authorization", $"Bearer {key}" } });

        // Cluster API: no token is UNAUTHENTICATED, a wrong one PERMISSION_DENIED, on every call (not only Register).
        var cluster = new Contracts.V1.Cluster.ClusterClient(channel);
        var register = new RegisterRequest { Name = "rogue", RingEndpoint = "127.0.0.1:1" };
        Assert.Equal(StatusCode.Unauthenticated, Refused(() => cluster.Register(register)).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, Refused(() => cluster.Register(register, JoinToken("wrong"))).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, Refused(() => cluster.Heartbeat(new HeartbeatRequest { WorkerId = "worker-0" }, JoinToken("wrong"))).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, Refused(() => cluster.Report(new WorkerReport { JobId = "x", Failed = "injected" })).StatusCode);
        var blob = cluster.FetchBlob(new FetchBlobRequest { Sha256 = new string('0', 64) }, JoinToken("wrong"));
        Assert.Equal(StatusCode.PermissionDenied, Refused(() => blob.ResponseStream.MoveNext(CancellationToken.None).GetAwaiter().GetResult()).StatusCode);

        // The CLI: without the key it says so (exit 1); with --api-key or FINETUNE_API_KEY it works.
        var denied = Finetune(null, "list", "--coordinator", c.Url);
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("API key", denied.Stderr);
        Assert.Equal(1, Finetune(null, "list", "--coordinator", c.Url, "--api-key", "wrong").ExitCode);
        var listed = Finetune(new() { ["FINETUNE_API_KEY"] = key }, "list", "--coordinator", c.Url, "--json");
        Assert.True(listed.ExitCode == 0, listed.Stderr);

        // The two real workers train a job together: their ring formed with the coordinator's random per-job token.
        var r = Finetune(null, "submit", "--coordinator", c.Url, "--api-key", key, "--model", model, "--dataset", dataset, "--workers", "2",
            "--max-length", "32", "--learning-rate", "1e-2", "--epochs", "1", "--save-strategy", "no", "--eval-strategy", "no", "--wait", "--json");
        Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{c.Logs()}");
        var job = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal(["worker-0", "worker-1"], job.GetProperty("workers").EnumerateArray().Select(w => w.GetString()!).ToArray());

        // The impostors never joined, and were told why.
        Assert.Contains("PermissionDenied", c.Log("intruder"));
        Assert.Contains("Unauthenticated", c.Log("anonymous"));
        Assert.DoesNotContain("assigned job", c.Log("intruder"));

        // Neither secret is in any log or in any file the coordinator keeps (job records, uploads, outputs).
        foreach (var name in new[] { "coordinator", "worker-0", "worker-1", "intruder", "anonymous" })
        {
            Assert.DoesNotContain(key, c.Log(name));
            Assert.DoesNotContain(token, c.Log(name));
        }
        foreach (var file in Directory.GetFiles(Path.Combine(c.Root, "coordinator", "jobs"), "*", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            Assert.False(text.Contains(key, StringComparison.Ordinal) || text.Contains(token, StringComparison.Ordinal), $"{file} holds a secret");
        }
    }

    [Fact]
    public void Submit_with_a_request_id_is_idempotent_across_a_coordinator_restart()
    {
        var (model, dataset, _) = TinyJobs.Setup(40);
        using var c = new ClusterProcesses(workers: 0); // no workers: the job stays queued
        string Submit()
        {
            var r = Finetune(null, "submit", "--coordinator", c.Url, "--model", model, "--dataset", dataset, "--workers", "2", "--max-length", "32",
                "--request-id", "retry-me-1", "--json");
            Assert.True(r.ExitCode == 0, $"{r.Stderr}\n{c.Logs()}");
            return JsonDocument.Parse(r.Stdout).RootElement.GetProperty("id").GetString()!;
        }
        var first = Submit();
        Assert.Equal(first, Submit());
        c.RestartCoordinator(); // SIGKILL: the reply to a retry may have been lost just like this
        Assert.Equal(first, Submit());
        var list = Finetune(null, "list", "--coordinator", c.Url, "--json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        var all = JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().ToList();
        var only = Assert.Single(all);
        Assert.Equal(first, only.GetProperty("id").GetString());
        Assert.Equal("queued", only.GetProperty("state").GetString());
    }
}
