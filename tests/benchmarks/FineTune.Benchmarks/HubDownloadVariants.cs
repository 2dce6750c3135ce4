using System.Diagnostics;
using System.Security.Cryptography;

/// <summary>
/// `hub-download --variants`: where our client's time goes, without touching it. Two copies of HubClient.ReceiveAsync's
/// loop (GET of the storage URL straight away, as ours does after its HEAD; 1 MiB reads, a FileStream with a 1 MiB
/// buffer, the 60 s idle token renewed per read): "receive" writes only (ours minus its HEAD and SHA-256 pass), and
/// "receive+hash" also feeds each chunk to an IncrementalHash while writing (the change that would drop the pass).
/// </summary>
static class HubDownloadVariants
{
    public static readonly string[] Names = ["receive", "receive+hash"];

    /// <summary>Seconds of one variant downloading <paramref name="url"/> into <paramref name="file"/>; throws on a wrong hash.</summary>
    public static async Task<double> RunAsync(string name, Uri url, string file, string expected)
    {
        bool hash = name == "receive+hash";
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            var clock = Stopwatch.StartNew();
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var output = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                await using var input = await response.Content.ReadAsStreamAsync();
                var buffer = new byte[1 << 20];
                using var idle = new CancellationTokenSource();
                while (true)
                {
                    idle.CancelAfter(TimeSpan.FromSeconds(60));
                    int n = await input.ReadAsync(buffer, idle.Token);
                    if (n == 0) break;
                    await output.WriteAsync(buffer.AsMemory(0, n));
                    if (hash) sha.AppendData(buffer, 0, n);
                }
            }
            double seconds = clock.Elapsed.TotalSeconds;
            if (hash && Convert.ToHexStringLower(sha.GetHashAndReset()) != expected)
                throw new InvalidOperationException($"variant {name}: wrong sha256");
            if (!hash && new FileInfo(file).Length == 0) throw new InvalidOperationException($"variant {name}: empty file");
            return seconds;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
