using System.Diagnostics;
using System.Text.Json;
using FineTune.Cluster.Tests.Cluster;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>What a JS client script did: its exit code, stdout (the result) and stderr (the error message, progress lines).</summary>
public sealed record JsRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The script's result: the last line of stdout.</summary>
    public string Result => Stdout.TrimEnd().Split('\n')[^1];

    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>
/// Hugging Face's own JavaScript client (@huggingface/hub, pinned in js/package.json) run as node scripts against a
/// hub endpoint: its packages installed once per test run with `npm ci` from the committed lock file when missing.
/// Unavailable (the tests skip and say why) only when node or npm is not installed; a failing install is a failure.
/// </summary>
public static class JsHubClient
{
    static readonly Lazy<string?> Problem = new(Prepare);

    public static string Folder => Path.Combine(PythonEnvironment.RepositoryRoot, "tests", "FineTune.Cluster.Tests", "Hub", "js");

    /// <summary>Null when the client can run; else which tool is missing.</summary>
    public static string? Unavailable => Problem.Value;

    /// <summary>snapshotDownload of a repo (type "model" or "dataset") into <paramref name="cacheDir"/>; stdout: the snapshot folder.</summary>
    public static JsRun Download(Uri endpoint, string type, string id, string revision, string cacheDir, string? token = null) =>
        Node("download.mjs", token, Endpoint(endpoint), type, id, revision, cacheDir);

    /// <summary>downloadFileToCacheDir of one file; stdout: the path of its snapshot link.</summary>
    public static JsRun DownloadFile(Uri endpoint, string type, string id, string revision, string cacheDir, string path, string? token = null) =>
        Node("download-file.mjs", token, Endpoint(endpoint), type, id, revision, cacheDir, path);

    /// <summary>
    /// Creates the repo when missing (repoExists, createRepo), then uploadFiles of every file under <paramref name="folder"/>
    /// at the repo's root in one commit; stdout: the commit oid.
    /// </summary>
    public static JsRun Upload(Uri endpoint, string type, string id, string folder, string? token) =>
        Node("upload.mjs", token, Endpoint(endpoint), type, id, folder);

    /// <summary>scanCacheDir of <paramref name="cacheDir"/> as JSON: {repos:[{id,type,revisions:[{commitOid,refs,files}]}]}.</summary>
    public static JsonDocument Scan(string cacheDir)
    {
        var run = Node("scan.mjs", null, cacheDir);
        if (run.ExitCode != 0) throw new InvalidOperationException($"scan.mjs failed: {run}");
        return JsonDocument.Parse(run.Result);
    }

    // The client joins paths to the hub URL itself: no trailing slash.
    static string Endpoint(Uri endpoint) => endpoint.AbsoluteUri.TrimEnd('/');

    static JsRun Node(string script, string? token, params string[] args)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Folder };
        start.ArgumentList.Add(Path.Combine(Folder, script));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["HF_TOKEN"] = token ?? ""; // never a token from the machine's environment
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            return new JsRun(124, stdout.Result, stderr.Result + $"\n{script} timed out after 2 min");
        }
        return new JsRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    static string? Prepare()
    {
        foreach (var (tool, role) in new[] { ("node", "runs the JS hub client"), ("npm", "installs its packages") })
        {
            if (PythonEnvironment.Run(tool, "--version").ExitCode == 127) return $"{tool} is not installed ({tool} {role})";
        }
        if (File.Exists(Path.Combine(Folder, "node_modules", "@huggingface", "hub", "package.json"))) return null;
        var install = PythonEnvironment.Run("npm", null, TimeSpan.FromMinutes(5), "ci", "--prefix", Folder, "--no-audit", "--no-fund");
        return install.ExitCode == 0 ? null
            : throw new InvalidOperationException($"npm ci in {Folder} failed (exit {install.ExitCode}): {install.Output}");
    }
}
