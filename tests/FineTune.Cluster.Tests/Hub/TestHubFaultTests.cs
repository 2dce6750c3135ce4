using System.Diagnostics;
using System.Net;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>The test hub's injected faults, checked raw: a cut body, a flipped byte, failures by path prefix, a slow file.</summary>
public class TestHubFaultTests
{
    static HttpClient Raw() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });

    static async Task<(TestHub Hub, HubBlob Blob, Uri Url)> StartAsync()
    {
        var hub = await TestHub.StartAsync(HubFixtures.All());
        var blob = hub.Repo(HubFixtures.ModelId).Head.Files["model.safetensors"];
        return (hub, blob, new Uri(hub.StorageEndpoint, $"storage/{blob.Sha256}"));
    }

    [Fact]
    public async Task A_cut_body_stops_after_the_bytes_asked_once_and_a_resume_gets_the_rest()
    {
        var (hub, blob, url) = await StartAsync();
        await using var _ = hub;
        using var http = Raw();
        hub.CutOnce("model.safetensors", 100);

        using (var cut = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(blob.Bytes.Length, cut.Content.Headers.ContentLength); // the headers promise the whole file
            await Assert.ThrowsAnyAsync<Exception>(() => cut.Content.ReadAsByteArrayAsync());
        }
        // The entry is logged when the handler ends, just after the abort the client saw.
        for (var wait = Stopwatch.StartNew(); hub.Requests.Count == 0 && wait.Elapsed < TimeSpan.FromSeconds(5);) await Task.Delay(20);
        Assert.Equal(100, hub.Requests.Single().BodyBytes);
        using var resume = new HttpRequestMessage(HttpMethod.Get, url);
        resume.Headers.Range = new(100, null);
        using var rest = await http.SendAsync(resume);
        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        Assert.Equal(blob.Bytes[100..], await rest.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_corrupt_body_has_one_byte_flipped_once_with_the_same_headers()
    {
        var (hub, blob, url) = await StartAsync();
        await using var _ = hub;
        using var http = Raw();
        hub.CorruptOnce("model.safetensors");

        using var probe = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new(0, 0) } });
        Assert.Equal(blob.Bytes[..1], await probe.Content.ReadAsByteArrayAsync()); // a closed range is a probe: not faulted
        using var corrupt = await http.GetAsync(url);
        var bytes = await corrupt.Content.ReadAsByteArrayAsync();
        Assert.Equal($"\"{blob.Sha256}\"", corrupt.Headers.ETag!.Tag);
        Assert.Equal(blob.Bytes.Length, bytes.Length);
        Assert.Equal(1, bytes.Zip(blob.Bytes).Count(p => p.First != p.Second));
        Assert.Equal(blob.Bytes, await http.GetByteArrayAsync(url));
    }

    [Fact]
    public async Task Failures_answer_the_next_requests_under_a_prefix_then_stop()
    {
        var (hub, _, _) = await StartAsync();
        await using var __ = hub;
        using var http = Raw();
        var config = new Uri(hub.Endpoint, $"{HubFixtures.ModelId}/resolve/main/config.json");
        hub.FailNext($"/{HubFixtures.ModelId}/resolve/", 2, 503);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(hub.Endpoint, $"api/models/{HubFixtures.ModelId}/revision/main"))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(config)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(config)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(config)).StatusCode);
    }

    [Fact]
    public async Task A_throttled_file_comes_at_about_the_rate_set()
    {
        var (hub, _, _) = await StartAsync();
        await using var _ = hub;
        using var http = Raw();
        var blob = hub.Repo(HubFixtures.ModelId).Head.Files["config.json"];
        int rate = blob.Bytes.Length * 2; // half a second for the file
        hub.Throttle("config.json", rate);

        var clock = Stopwatch.StartNew();
        var bytes = await http.GetByteArrayAsync(new Uri(hub.Endpoint, $"{HubFixtures.ModelId}/resolve/main/config.json"));
        Assert.Equal(blob.Bytes, bytes);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.4, 5);
        hub.ClearFaults();
    }
}
