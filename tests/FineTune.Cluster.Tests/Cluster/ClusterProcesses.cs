using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FineTune.Cluster.Tests.Cluster;

/// <summary>A coordinator and N workers as real processes on loopback, stopped and cleaned up on dispose.</summary>
public sealed class ClusterProcesses : IDisposable
{
    readonly List<(string Name, Process Process, StringBuilder Log)> processes = [];

    readonly string[] coordinatorArgs;
    readonly int threadsPerWorker;
    readonly string[] workerArgs;
    readonly IReadOnlyDictionary<string, string>? coordinatorEnvironment;
    readonly IReadOnlyDictionary<string, string>? workerEnvironment;

    /// <param name="coordinatorArgs">extra coordinator flags (e.g. --api-key K --join-token T, or short fault timeouts)</param>
    /// <param name="workerArgs">extra flags for every worker (e.g. --join-token T)</param>
    /// <param name="coordinatorEnvironment">extra environment of the coordinator (e.g. HF_ENDPOINT)</param>
    /// <param name="workerEnvironment">extra environment of every worker started by number</param>
    public ClusterProcesses(int workers, int threadsPerWorker = 1, string[]? coordinatorArgs = null, string[]? workerArgs = null,
        IReadOnlyDictionary<string, string>? coordinatorEnvironment = null, IReadOnlyDictionary<string, string>? workerEnvironment = null)
    {
        this.coordinatorEnvironment = coordinatorEnvironment;
        this.workerEnvironment = workerEnvironment;
        Root = Path.Combine(Path.GetTempPath(), "finetune-tests", "cluster-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
        Port = FreePort();
        Url = $"http://127.0.0.1:{Port}";
        this.coordinatorArgs = ["--urls", Url, "--data-dir", Path.Combine(Root, "coordinator"), .. coordinatorArgs ?? []];
        this.workerArgs = workerArgs ?? [];
        this.threadsPerWorker = threadsPerWorker;
        StartCoordinator();
        for (int i = 0; i < workers; i++) StartWorker(i);
    }

    /// <summary>Another worker process named <paramref name="name"/>, with extra flags.</summary>
    public void StartWorker(string name, params string[] extra) => StartWorker(name, null, extra);

    /// <summary>Another worker process named <paramref name="name"/>, with extra environment variables (e.g. a test-only fault) and flags.</summary>
    public void StartWorker(string name, IReadOnlyDictionary<string, string>? environment, params string[] extra) =>
        Start(name, "FineTune.Worker.dll", ["--coordinator", Url, "--name", name, "--threads", threadsPerWorker.ToString(),
            "--urls", "http://127.0.0.1:0", "--data-dir", Path.Combine(Root, name), .. extra], environment);

    /// <summary>worker-i, with the cluster's worker flags and any extra ones.</summary>
    public void StartWorker(int i, params string[] extra) => StartWorker($"worker-{i}", workerEnvironment, [.. workerArgs, .. extra]);

    /// <summary>worker-i with extra environment variables, the cluster's worker flags and any extra ones.</summary>
    public void StartWorker(int i, IReadOnlyDictionary<string, string> environment, params string[] extra) => StartWorker($"worker-{i}", environment, [.. workerArgs, .. extra]);

    /// <summary>The coordinator, on the same port and data folder each time (a restart after KillCoordinator).</summary>
    public void StartCoordinator()
    {
        Start("coordinator", "FineTune.Coordinator.dll", coordinatorArgs, coordinatorEnvironment);
        WaitForHealth(TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGKILL the coordinator: no chance to save anything.</summary>
    public void KillCoordinator()
    {
        var c = processes.Last(p => p.Name == "coordinator").Process;
        c.Kill(entireProcessTree: true);
        c.WaitForExit(10_000);
    }

    /// <summary>SIGKILL the coordinator and start it again on the same port and data folder.</summary>
    public void RestartCoordinator()
    {
        KillCoordinator();
        StartCoordinator();
    }

    /// <summary>SIGSTOP / SIGCONT a worker: alive but silent, as a hung machine or a long GC pause would be.</summary>
    public void PauseWorker(string name) => Signal(Worker(name), 19);

    public void ResumeWorker(string name) => Signal(Worker(name), 18);

    Process Worker(string name) => processes.Last(p => p.Name == name).Process;

    /// <summary>SIGTERM a worker, as Kubernetes does when it drains the node (Process.Kill would be SIGKILL).</summary>
    public void TerminateWorker(string name) => Signal(Worker(name), 15);

    /// <summary>The worker's exit code once it has exited, within <paramref name="limit"/>.</summary>
    public int WaitForExit(string name, TimeSpan limit)
    {
        var p = Worker(name);
        if (!p.WaitForExit(limit)) throw new TimeoutException($"{name} still runs {limit.TotalSeconds} s after the signal:\n{Logs()}");
        p.WaitForExit(); // and its output is read to the end
        return p.ExitCode;
    }

    static void Signal(Process p, int signal)
    {
        if (kill(p.Id, signal) != 0) throw new InvalidOperationException($"kill({p.Id}, {signal}) failed");
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int sig);

    public string Root { get; }
    public int Port { get; }
    public string Url { get; }

    /// <summary>SIGKILL a worker, as a machine failure would.</summary>
    public void KillWorker(int i) => KillWorker($"worker-{i}");

    public void KillWorker(string name) => Worker(name).Kill(entireProcessTree: true);

    /// <summary>Everything the processes printed, for failure messages.</summary>
    public string Logs() => string.Join("\n", processes.Select(p => $"--- {p.Name} (exit {(p.Process.HasExited ? p.Process.ExitCode.ToString() : "running")}) ---\n{Tail(p.Log)}"));

    static string Tail(StringBuilder log)
    {
        lock (log) return log.Length > 6000 ? log.ToString()[^6000..] : log.ToString();
    }

    /// <summary>What a process printed so far.</summary>
    public string Log(string name)
    {
        var logs = processes.Where(p => p.Name == name).Select(p => p.Log).ToList();
        return string.Join("\n", logs.Select(l => { lock (l) return l.ToString(); }));
    }

    void Start(string name, string dll, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["FINETUNE_CACHE"] = Cli.FinetuneProcess.TestCache;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
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

    public static int FreePort()
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        foreach (var (_, p, _) in processes)
        {
            try { if (!p.HasExited) { Signal(p, 18); p.Kill(entireProcessTree: true); } } catch (InvalidOperationException) { }
            p.WaitForExit(10_000);
            p.Dispose();
        }
        // Models, checkpoints and blobs of a cluster run take gigabytes: a test run must not fill the disk.
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
