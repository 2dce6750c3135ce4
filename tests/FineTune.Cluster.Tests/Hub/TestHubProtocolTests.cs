using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>The test hub's plain-HTTP answers read raw (no redirects followed): headers, ranges, redirects, error codes, faults.</summary>
public class TestHubProtocolTests
{
    static HttpClient Raw() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });

    static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, Uri url, string? token = null, string? range = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (range is not null) request.Headers.TryAddWithoutValidation("Range", range);
        return await http.SendAsync(request);
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var v) || response.Content.Headers.TryGetValues(name, out v) ? v.First() : null;

    [Fact]
    public async Task An_lfs_file_is_a_302_to_the_storage_host_with_its_sha256_and_size()
    {
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        using var http = Raw();
        var blob = hub.Repo(HubFixtures.ModelId).Head.Files["model.safetensors"];
        using var head = await SendAsync(http, HttpMethod.Head, new Uri(hub.Endpoint, $"{HubFixtures.ModelId}/resolve/main/model.safetensors"));
        Assert.Equal(HttpStatusCode.Found, head.StatusCode);
        Assert.Equal(hub.Repo(HubFixtures.ModelId).Head.Id, Header(head, "X-Repo-Commit"));
        Assert.Equal($"\"{blob.Sha256}\"", Header(head, "X-Linked-Etag"));
        Assert.Equal(blob.Bytes.Length.ToString(), Header(head, "X-Linked-Size"));
        Assert.NotNull(head.Headers.ETag);
        var location = head.Headers.Location!;
        Assert.True(location.IsAbsoluteUri);
        Assert.Equal(hub.StorageEndpoint.Authority, location.Authority);

        using var get = await SendAsync(http, HttpMethod.Get, location);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal($"\"{blob.Sha256}\"", get.Headers.ETag!.Tag);
        Assert.Equal(blob.Bytes, await get.Content.ReadAsByteArrayAsync());
        using var ranged = await SendAsync(http, HttpMethod.Get, location, range: "bytes=10-");
        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal($"bytes 10-{blob.Bytes.Length - 1}/{blob.Bytes.Length}", Header(ranged, "Content-Range"));
        Assert.Equal(blob.Bytes[10..], await ranged.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_small_file_is_served_by_the_hub_with_its_git_blob_id_and_ranges()
    {
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        using var http = Raw();
        var blob = hub.Repo(HubFixtures.ModelId).Head.Files["config.json"];
        var url = new Uri(hub.Endpoint, $"{HubFixtures.ModelId}/resolve/main/config.json");
        using var head = await SendAsync(http, HttpMethod.Head, url);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal($"\"{HubBlob.GitBlobOid(blob.Bytes)}\"", head.Headers.ETag!.Tag);
        Assert.Equal(blob.Bytes.Length, head.Content.Headers.ContentLength);
        Assert.Equal("bytes", Header(head, "Accept-Ranges"));
        Assert.Null(Header(head, "X-Linked-Etag"));

        using var probe = await SendAsync(http, HttpMethod.Get, url, range: "bytes=0-0");
        Assert.Equal(HttpStatusCode.PartialContent, probe.StatusCode);
        Assert.Equal($"bytes 0-0/{blob.Bytes.Length}", Header(probe, "Content-Range"));
        Assert.Equal(blob.Bytes[..1], await probe.Content.ReadAsByteArrayAsync());
        using var middle = await SendAsync(http, HttpMethod.Get, url, range: "bytes=3-7");
        Assert.Equal(blob.Bytes[3..8], await middle.Content.ReadAsByteArrayAsync());
        using var beyond = await SendAsync(http, HttpMethod.Get, url, range: $"bytes={blob.Bytes.Length}-");
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
    }

    [Fact]
    public async Task An_empty_file_answers_a_range_with_bytes_star_slash_zero()
    {
        var repo = new HubRepoFixture("model", "someone/empty", new Dictionary<string, byte[]> { ["__init__.py"] = [] });
        await using var hub = await TestHub.StartAsync([repo]);
        using var http = Raw();
        using var get = await SendAsync(http, HttpMethod.Get, new Uri(hub.Endpoint, "someone/empty/resolve/main/__init__.py"), range: "bytes=0-0");
        Assert.True(get.IsSuccessStatusCode);
        Assert.Equal("bytes */0", Header(get, "Content-Range"));
        Assert.Empty(await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_renamed_repo_answers_307_with_a_relative_location_keeping_the_query()
    {
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        using var http = Raw();
        using var resolve = await SendAsync(http, HttpMethod.Head, new Uri(hub.Endpoint, "datasets/yelp_review_full/resolve/main/README.md?download=true"));
        Assert.Equal(HttpStatusCode.TemporaryRedirect, resolve.StatusCode);
        Assert.Equal("/datasets/Yelp/yelp_review_full/resolve/main/README.md?download=true", resolve.Headers.Location!.OriginalString);
        using var api = await SendAsync(http, HttpMethod.Get, new Uri(hub.Endpoint, "api/datasets/yelp_review_full/revision/main"));
        Assert.Equal(HttpStatusCode.TemporaryRedirect, api.StatusCode);
        Assert.Equal("/api/datasets/Yelp/yelp_review_full/revision/main", api.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("nobody/nothing/resolve/main/config.json", null, 404, "RepoNotFound")]
    [InlineData("finetune-test/private-bert/resolve/main/config.json", null, 401, "RepoNotFound")]
    [InlineData("finetune-test/private-bert/resolve/main/config.json", TestHub.ReaderToken, 200, null)]
    [InlineData("google-bert/bert-base-cased/resolve/no-such-branch/config.json", null, 404, "RevisionNotFound")]
    [InlineData("google-bert/bert-base-cased/resolve/main/no-such-file.json", null, 404, "EntryNotFound")]
    [InlineData("finetune-test/gated-bert/resolve/main/config.json", null, 401, "GatedRepo")]
    [InlineData("finetune-test/gated-bert/resolve/main/config.json", TestHub.ReaderToken, 403, "GatedRepo")]
    [InlineData("finetune-test/gated-bert/resolve/main/config.json", TestHub.GatedMemberToken, 200, null)]
    [InlineData("api/models/finetune-test/gated-bert/revision/main", null, 200, null)]
    [InlineData("google-bert/bert-base-cased/resolve/main/config.json", "hf_not_a_real_token", 401, null)]
    public async Task Errors_carry_the_hubs_status_and_error_code(string path, string? token, int status, string? code)
    {
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        using var http = Raw();
        using var response = await SendAsync(http, HttpMethod.Get, new Uri(hub.Endpoint, path), token);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, Header(response, "X-Error-Code"));
        if (status >= 400)
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("error").GetString()));
        }
        var logged = hub.Requests.Single();
        Assert.Equal((token is not null, token is TestHub.ReaderToken or TestHub.GatedMemberToken, status), (logged.AuthorizationSent, logged.ValidToken, logged.Status));
    }

    [Fact]
    public async Task A_tag_and_a_commit_id_resolve_to_their_commit()
    {
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        using var http = Raw();
        var repo = hub.Repo(HubFixtures.ModelId);
        var tagged = repo.Refs["v1.0"];
        Assert.NotEqual(repo.Head.Id, tagged.Id);
        foreach (var revision in new[] { "v1.0", tagged.Id })
        {
            using var readme = await SendAsync(http, HttpMethod.Get, new Uri(hub.Endpoint, $"{HubFixtures.ModelId}/resolve/{revision}/README.md"));
            Assert.Equal(tagged.Id, Header(readme, "X-Repo-Commit"));
            Assert.Equal(tagged.Files["README.md"].Bytes, await readme.Content.ReadAsByteArrayAsync());
        }
        // A file main did not change keeps the earlier commit as its last commit, as the hub's paths-info says.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(hub.Endpoint, $"api/models/{HubFixtures.ModelId}/paths-info/main"))
        {
            Content = new StringContent("""{"paths":["README.md","config.json","model.safetensors","nope"],"expand":true}""", Encoding.UTF8, "application/json"),
        };
        using var info = await http.SendAsync(request);
        using var json = JsonDocument.Parse(await info.Content.ReadAsStringAsync());
        var entries = json.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!);
        Assert.Equal(3, entries.Count);
        Assert.Equal(repo.Head.Id, entries["README.md"].GetProperty("lastCommit").GetProperty("id").GetString());
        Assert.Equal(tagged.Id, entries["config.json"].GetProperty("lastCommit").GetProperty("id").GetString());
        Assert.Equal(repo.Head.Files["model.safetensors"].Sha256, entries["model.safetensors"].GetProperty("lfs").GetProperty("oid").GetString());
        Assert.False(entries["config.json"].TryGetProperty("lfs", out _));
    }

    [Fact]
    public async Task The_tree_is_paginated_by_absolute_link_headers()
    {
        await using var hub = await TestHub.StartAsync(HubFixtures.All());
        hub.TreePageSize = 2;
        using var http = Raw();
        var paths = new List<string>();
        Uri? url = new(hub.Endpoint, $"api/datasets/{HubFixtures.DatasetId}/tree/main?recursive=true&expand=false");
        while (url is not null)
        {
            using var page = await SendAsync(http, HttpMethod.Get, url);
            page.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await page.Content.ReadAsStringAsync());
            paths.AddRange(json.RootElement.EnumerateArray().Select(e => $"{e.GetProperty("type").GetString()} {e.GetProperty("path").GetString()}"));
            url = page.Headers.TryGetValues("Link", out var link) ? new Uri(link.Single().Split('<', '>')[1]) : null;
        }
        var expected = HubFixtures.DatasetFiles.Keys.Select(p => "file " + p).Append("directory yelp_review_full").Order(StringComparer.Ordinal);
        Assert.Equal(expected, paths.Order(StringComparer.Ordinal));
        Assert.Equal(3, hub.Requests.Count); // 6 entries, 2 a page
    }
}
