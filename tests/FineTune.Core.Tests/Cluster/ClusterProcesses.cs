using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FineTune.Core.Tests.Cluster;

/// <summary>A coordinator and N workers as real processes on loopback, stopped and cleaned up on dispose.</summary>
public sealed class ClusterProcesses : IDisposable
{
    readonly List<(string Name, Process Process, StringBuilder Log)> processes = [];

    public ClusterProcesses(int workers, int threadsPerWorker = 1, IReadOnlyList<string>? coordinatorArgs = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "finetune-tests", "cluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
        Port = FreePort();
        Url = $"http://127.0.0.1:{Port}";
        Start("coordinator", "FineTune.Coordinator.dll", ["--urls", Url, "--data-dir", Path.Combine(Root, "coordinator"), .. coordinatorArgs ?? []]);
        WaitForHealth(TimeSpan.FromSeconds(60));
        for (int i = 0; i < workers; i++)
            Start($"worker-{i}", "FineTune.Worker.dll", "--coordinator", Url, "--name", $"worker-{i}", "--threads", threadsPerWorker.ToString(),
                "--urls", "http://127.0.0.1:0", "--data-dir", Path.Combine(Root, $"worker-{i}"));
    }

    public string Root { get; }
    public int Port { get; }
    public string Url { get; }

    /// <summary>SIGKILL a worker, as a machine failure would.</summary>
    public void KillWorker(int i) => processes.Single(p => p.Name == $"worker-{i}").Process.Kill(entireProcessTree: true);

    /// <summary>Everything the processes printed, for failure messages.</summary>
    public string Logs() => string.Join("\n", processes.Select(p => $"--- {p.Name} (exit {(p.Process.HasExited ? p.Process.ExitCode.ToString() : "running")}) ---\n{Tail(p.Log)}"));

    static string Tail(StringBuilder log)
    {
        lock (log) return log.Length > 6000 ? log.ToString()[^6000..] : log.ToString();
    }

    void Start(string name, string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["FINETUNE_CACHE"] = Cli.FinetuneProcess.TestCache;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var log = new StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        processes.Add((name, process, log));
    }

    void WaitForHealth(TimeSpan limit)
    {
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            try
            {
                if (http.GetAsync($"{Url}/healthz").GetAwaiter().GetResult().IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            Thread.Sleep(200);
        }
        throw new TimeoutException($"the coordinator did not come up in {limit.TotalSeconds} s:\n{Logs()}");
    }

    static int FreePort()
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        foreach (var (_, p, _) in processes)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(10_000);
            p.Dispose();
        }
    }
}
