using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace FineTune.Cluster.Tests.Hub;

public sealed partial class TestHub
{
    /// <summary>
    /// HEAD/GET resolve: X-Repo-Commit always; a small file is answered here (ETag: its git blob id), an LFS file is a
    /// 302 to the storage host with X-Linked-Etag (its SHA-256) and X-Linked-Size. Gates are checked here only: a gated
    /// repo's metadata and file list are public on the hub, its files are not.
    /// </summary>
    async Task ResolveAsync(HttpContext context, HubRepoState repo, HubCommit commit, string path, string? token)
    {
        if (repo.Fixture.Visibility == HubVisibility.Gated && (token is null || !GatedAccessTokens.Contains(token)))
        {
            var why = $"Access to {repo.Fixture.Type} {repo.Fixture.Id} is restricted";
            if (token is null) await ErrorAsync(context, 401, "GatedRepo", why + ". You must have access to it and be authenticated to access it. Please log in.");
            else await ErrorAsync(context, 403, "GatedRepo", why + " and you are not in the authorized list.");
            return;
        }
        context.Response.Headers["X-Repo-Commit"] = commit.Id;
        if (!commit.Files.TryGetValue(path, out var blob))
        {
            await ErrorAsync(context, 404, "EntryNotFound", "Entry not found");
            return;
        }
        if (!blob.IsLfs)
        {
            await SendBlobAsync(context, blob, blob.GitOid);
            return;
        }
        context.Response.StatusCode = 302;
        context.Response.Headers.Location = new Uri(StorageEndpoint, $"storage/{blob.Sha256}").AbsoluteUri;
        context.Response.Headers["X-Linked-Etag"] = Quoted(blob.Sha256!);
        context.Response.Headers["X-Linked-Size"] = blob.Bytes.Length.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.ETag = Quoted(blob.GitOid);
        context.Response.ContentLength = 0;
    }

    /// <summary>
    /// GET/HEAD /storage/SHA256 on the storage host: the LFS bytes, as a presigned bucket URL answers (no token needed);
    /// PUT /lfs-upload/SHA256: an upload the LFS batch API handed out (TestHub.Lfs.cs).
    /// </summary>
    async Task ServeStorageAsync(HttpContext context)
    {
        if (HttpMethods.IsPut(context.Request.Method))
        {
            await ReceiveUploadAsync(context);
            return;
        }
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith("/storage/", StringComparison.Ordinal) || !storage.TryGetValue(path["/storage/".Length..], out var blob))
        {
            context.Response.StatusCode = 404;
            return;
        }
        await SendBlobAsync(context, blob, blob.Sha256!);
    }

    static string Quoted(string etag) => $"\"{etag}\"";

    /// <summary>The bytes of a blob, whole or the range asked (206), with the faults injected for its path.</summary>
    async Task SendBlobAsync(HttpContext context, HubBlob blob, string etag)
    {
        var response = context.Response;
        response.Headers.ETag = Quoted(etag);
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = "application/octet-stream";
        long total = blob.Bytes.Length, start = 0, end = total - 1;
        var range = context.Request.Headers.Range.ToString();
        bool openEnded = true;
        if (range.Length > 0 && total == 0)
        {
            response.Headers.ContentRange = "bytes */0"; // nothing to give a range of: the whole (empty) file
        }
        else if (range.Length > 0)
        {
            if (ParseRange(range, total) is not { } asked)
            {
                response.StatusCode = 416;
                response.Headers.ContentRange = $"bytes */{total}";
                return;
            }
            (start, end, openEnded) = asked;
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {start}-{end}/{total}";
        }
        long length = total == 0 ? 0 : end - start + 1;
        response.ContentLength = length;
        if (HttpMethods.IsHead(context.Request.Method) || length == 0) return;
        var body = blob.Bytes.AsMemory((int)start, (int)length);
        // A whole body or a resume (bytes=N-) is a download; a closed range (a client's probe) takes no fault.
        var fault = openEnded ? TakeBodyFault(blob.Path) : default;
        if (fault.Corrupt)
        {
            var copy = body.ToArray();
            copy[copy.Length / 2] ^= 0xFF;
            body = copy;
        }
        long limit = fault.CutAfter ?? length;
        int chunk = fault.BytesPerSecond is { } rate ? Math.Max(1, rate / 10) : 1 << 20;
        long sent = 0;
        while (sent < Math.Min(limit, length))
        {
            int n = (int)Math.Min(chunk, Math.Min(limit, length) - sent);
            await response.Body.WriteAsync(body.Slice((int)sent, n), context.RequestAborted);
            sent += n;
            Exchange(context).BodyBytes = sent;
            if (fault.BytesPerSecond is not null) await Task.Delay(100, context.RequestAborted);
        }
        if (fault.CutAfter is not null && sent < length)
        {
            await response.Body.FlushAsync(context.RequestAborted);
            // The abort resets the connection, and a reset drops what the client has not read yet: let it read first.
            await Task.Delay(500);
            context.Abort(); // the client sees the connection drop mid-body
        }
    }

    /// <summary>bytes=N-, bytes=N-M or bytes=-N as (start, end inclusive, open-ended); null when unsatisfiable.</summary>
    static (long Start, long End, bool OpenEnded)? ParseRange(string header, long total)
    {
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || header.Contains(',')) return null;
        var parts = header["bytes=".Length..].Split('-');
        if (parts.Length != 2) return null;
        if (parts[0].Length == 0)
            return long.TryParse(parts[1], out var suffix) && suffix > 0 ? (Math.Max(0, total - suffix), total - 1, false) : null;
        if (!long.TryParse(parts[0], out var start) || start >= total) return null;
        if (parts[1].Length == 0) return (start, total - 1, true);
        return long.TryParse(parts[1], out var end) && end >= start ? (start, Math.Min(end, total - 1), false) : null;
    }
}
