using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using FineTune.Cluster.Tests.Hub;
using FineTune.Core.Hub;

/// <summary>
/// The side of tests/benchmarks/hub-download.sh that runs: our <see cref="HubClient"/> against curl, downloading the
/// same LFS file (default 400 MB of seeded pseudo-random bytes, made in memory, never written to the repo) from the
/// cluster tests' loopback hub (TestHub: the hub on 127.0.0.1, its 302 to storage on 127.0.0.2), in this process.
/// After one untimed warm-up of each (JIT, connection code, page cache of the temp folder), R rounds alternate which
/// goes first: (a) <c>HubClient.DownloadAsync</c> into a fresh cache (HEAD, GET to storage, its SHA-256 check, rename,
/// snapshot link: what a user waits for); (b) <c>curl -sSL -o FILE URL</c> (follows the 302; does not hash), then
/// <c>sha256sum FILE</c> timed on its own, since curl + sha256sum is the like-for-like of our download + check.
/// Both files are verified against the source's SHA-256 (curl's by sha256sum's output; ours re-hashed here, and that
/// pass is timed too: it is the same call our client's check makes). Prints a Markdown table, medians and ratios.
/// sha256sum (coreutils) may hash slower than our OpenSSL-backed SHA256, so a third ratio puts curl + our own check's
/// time (the same pass, run on our file) against ours: the transfer compared with the same hash on both sides.
/// Before each timed download, an untimed `sync`: the file deleted just before leaves journal work (and on an ext4
/// mounted with `discard`, as this machine's is, TRIMs) that would otherwise land on whoever writes next.
/// Options: --rounds 5 --mb 400 (MB = 10^6 bytes) --seed 42 --curl curl --variants (see HubDownloadVariants).
/// </summary>
static class HubDownloadBenchmark
{
    const string RepoId = "bench/big";
    const string FileName = "model.safetensors";

    /// <summary>One round's seconds: ours (whole DownloadAsync), our check re-run alone, curl, sha256sum of curl's file.</summary>
    sealed record Round(int Number, string First, double Ours, double OursCheck, double Curl, double Sha256sum)
    {
        public double CurlHashed => Curl + Sha256sum;
        public Dictionary<string, double> Variants { get; } = [];
    }

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    static async Task<int> RunAsync(string[] args)
    {
        var o = new BenchmarkOptions(args);
        int rounds = o.Int("--rounds", 5), megabytes = o.Int("--mb", 400), seed = o.Int("--seed", 42);
        var curl = o.Has("--curl") ? o.String("--curl") : "curl";
        bool variants = o.Has("--variants");
        long size = megabytes * 1_000_000L;

        var clock = Stopwatch.StartNew();
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)size));
        new Random(seed).NextBytes(bytes); // seeded: every run serves the same file
        var files = new Dictionary<string, byte[]> { [FileName] = bytes };
        await using var hub = await TestHub.StartAsync([new HubRepoFixture("model", RepoId, files)]);
        var expected = hub.Repo(RepoId).Head.Files[FileName].Sha256!;
        var url = new Uri(hub.Endpoint, $"{RepoId}/resolve/main/{FileName}");
        Console.WriteLine($"hub-download: {size:N0} bytes (seed {seed}, sha256 {expected[..16]}...) served in {clock.Elapsed.TotalSeconds:F1} s; " +
            $"hub {hub.Endpoint}, storage {hub.StorageEndpoint}; {rounds} rounds; load {Load()} on {Environment.ProcessorCount} cores");
        Console.WriteLine($"curl: {url.AbsoluteUri}");

        var work = Directory.CreateTempSubdirectory("finetune-hub-download.");
        var results = new List<Round>();
        try
        {
            // Warm-up, untimed: the first call of each pays one-off costs that are not the download's.
            await OursAsync(hub, work.FullName, expected);
            await CurlOnceAsync(curl, url, work.FullName, expected);
            for (int r = 1; r <= rounds; r++)
            {
                // Alternate the order, so neither side always follows the other's page-cache and CPU state.
                bool oursFirst = r % 2 == 1;
                (double, double) ours = default, theirs = default;
                if (oursFirst) ours = await OursAsync(hub, work.FullName, expected);
                theirs = await CurlOnceAsync(curl, url, work.FullName, expected);
                if (!oursFirst) ours = await OursAsync(hub, work.FullName, expected);
                var round = new Round(r, oursFirst ? "ours" : "curl", ours.Item1, ours.Item2, theirs.Item1, theirs.Item2);
                results.Add(round);
                if (variants)
                    foreach (var name in HubDownloadVariants.Names)
                    {
                        await SettleAsync();
                        round.Variants[name] = await HubDownloadVariants.RunAsync(name, Storage(hub, expected), Path.Combine(work.FullName, "variant.bin"), expected);
                    }
                Console.WriteLine($"  round {r}: ours {round.Ours:F3} s, curl {round.Curl:F3} s, sha256sum {round.Sha256sum:F3} s" +
                    string.Concat(round.Variants.Select(v => $", {v.Key} {v.Value:F3} s")));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"hub-download: {e.Message}");
            return 1;
        }
        finally
        {
            work.Delete(recursive: true);
        }
        Print(results, size);
        Console.WriteLine($"load after: {Load()}");
        return 0;
    }

    /// <summary>Where the hub's 302 sends a GET of the file (the variants skip the HEAD that finds it).</summary>
    static Uri Storage(TestHub hub, string sha256) => new(hub.StorageEndpoint, $"storage/{sha256}");

    /// <summary>Our client into a fresh cache; returns DownloadAsync's seconds and those of re-running its SHA-256 check.</summary>
    static async Task<(double Seconds, double Check)> OursAsync(TestHub hub, string work, string expected)
    {
        var cache = Path.Combine(work, "cache");
        try
        {
            using var client = new HubClient(new HubSettings(hub.Endpoint, Token: null, Offline: false, cache));
            var repo = HubRepo.Parse("model", RepoId, "--model");
            await SettleAsync();
            var clock = Stopwatch.StartNew();
            var path = await client.DownloadAsync(repo, "main", FileName);
            double seconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            string sha;
            using (var stream = File.OpenRead(path)) sha = Convert.ToHexStringLower(SHA256.HashData(stream)); // as HubCache.Matches
            double check = clock.Elapsed.TotalSeconds;
            if (sha != expected) throw new InvalidOperationException($"our client's file has sha256 {sha}, not {expected}");
            return (seconds, check);
        }
        finally
        {
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }

    /// <summary>curl to a file, then sha256sum of it (verifies it, and times the hash curl does not do).</summary>
    static async Task<(double Seconds, double Sha256sum)> CurlOnceAsync(string curl, Uri url, string work, string expected)
    {
        var file = Path.Combine(work, "curl.bin");
        try
        {
            await SettleAsync();
            var clock = Stopwatch.StartNew();
            await ExecAsync(curl, "-sSL", "-o", file, url.AbsoluteUri);
            double seconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            var sha = (await ExecAsync("sha256sum", file)).Split(' ')[0];
            double hash = clock.Elapsed.TotalSeconds;
            if (sha != expected) throw new InvalidOperationException($"curl's file has sha256 {sha}, not {expected}");
            return (seconds, hash);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Flushes what earlier rounds left to the disk (dirty pages, a deleted file's journal and discard work).</summary>
    static Task SettleAsync() => ExecAsync("sync");

    // Waits asynchronously: a pool thread blocked on the child would starve the in-process hub serving it.
    static async Task<string> ExecAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {(await stderr).Trim()}");
        return await stdout;
    }

    static void Print(List<Round> rounds, long size)
    {
        double Rate(double seconds) => size / 1e6 / seconds;
        string Row(string label, string first, double ours, double check, double curl, double sha) =>
            string.Create(CultureInfo.InvariantCulture,
                $"| {label} | {first} | {ours:F3} | {Rate(ours):F0} | {check:F3} | {curl:F3} | {Rate(curl):F0} | {sha:F3} | {curl + sha:F3} | {Rate(curl + sha):F0} | {ours / curl:F2} | {ours / (curl + sha):F2} |");
        Console.WriteLine();
        Console.WriteLine("| round | first | ours s | ours MB/s | our check alone s | curl s | curl MB/s | sha256sum s | curl+sha256sum s | curl+sha256sum MB/s | ours/curl | ours/(curl+sha256sum) |");
        Console.WriteLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in rounds) Console.WriteLine(Row(r.Number.ToString(CultureInfo.InvariantCulture), r.First, r.Ours, r.OursCheck, r.Curl, r.Sha256sum));
        double ours = Median(rounds.Select(r => r.Ours)), curl = Median(rounds.Select(r => r.Curl));
        double sha = Median(rounds.Select(r => r.Sha256sum)), hashed = Median(rounds.Select(r => r.CurlHashed));
        // The curl+sha256sum median is of the per-round sums (not the sum of the medians).
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| **median** | | **{ours:F3}** | **{Rate(ours):F0}** | {Median(rounds.Select(r => r.OursCheck)):F3} | **{curl:F3}** | **{Rate(curl):F0}** | {sha:F3} | **{hashed:F3}** | **{Rate(hashed):F0}** | **{ours / curl:F2}** | **{ours / hashed:F2}** |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio of medians: ours/curl {ours / curl:F2}, ours/(curl+sha256sum) {ours / hashed:F2} (above 1: ours is slower)."));
        double sameHash = Median(rounds.Select(r => r.Curl + r.OursCheck));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"with the same SHA-256 pass on both sides: curl + our check alone {sameHash:F3} s (median of per-round sums), ours/that {ours / sameHash:F2}."));
        Console.WriteLine("Ours includes its SHA-256 check; curl does not hash, so compare ours with curl plus a hash, not curl alone.");
        foreach (var name in rounds.SelectMany(r => r.Variants.Keys).Distinct())
        {
            double v = Median(rounds.Select(r => r.Variants[name]));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"variant {name}: median {v:F3} s, {Rate(v):F0} MB/s, {v / curl:F2}x curl"));
        }
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "?";
}
