using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FineTune.Cluster.Tests.Hub;

/// <summary>
/// A parsed hub request: the action (resolve, paths-info, revision, tree, preupload, commit, branch, or info for
/// /api/TYPEs/ID), the repo, the revision (the new branch's name for branch) and the rest.
/// </summary>
sealed record HubRoute(string Action, string Type, string Id, string IdPrefix, string? Revision, string Path);

public sealed partial class TestHub
{
    static readonly string[] ApiActions = ["paths-info", "revision", "tree", "preupload", "commit", "branch"];
    static readonly string[] WriteActions = ["preupload", "commit", "branch"];

    async Task ServeHubAsync(HttpContext context)
    {
        var token = BearerToken(context.Request.Headers.Authorization.ToString());
        if (context.Request.Headers.Authorization.Count > 0 && !IsValidToken(token))
        {
            await ErrorAsync(context, 401, null, "Invalid credentials in Authorization header");
            return;
        }
        if (await ServeAccountAsync(context, token) || await ServeLfsAsync(context, token)) return;
        if (Parse(context.Request.Path.Value ?? "") is not { } route)
        {
            await ErrorAsync(context, 404, null, "Sorry, we can't find the page you are looking for.");
            return;
        }
        var all = Repos;
        var repo = all.FirstOrDefault(r => r.Fixture.Type == route.Type && r.Fixture.Id == route.Id);
        if (repo is null)
        {
            var renamed = all.FirstOrDefault(r => r.Fixture.Type == route.Type && r.Fixture.RenamedFrom.Contains(route.Id));
            if (renamed is not null) RedirectRenamed(context, route, renamed.Fixture.Id);
            else await ErrorAsync(context, 404, "RepoNotFound", "Repository not found");
            return;
        }
        if (repo.Fixture.Visibility == HubVisibility.Private && token is null)
        {
            await ErrorAsync(context, 401, "RepoNotFound", "Repository not found"); // the hub hides private repos
            return;
        }
        if (WriteActions.Contains(route.Action))
        {
            await ServeWriteAsync(context, repo, route, token);
            return;
        }
        var commit = route.Action == "info" ? repo.Head : route.Revision is null ? null : repo.Resolve(route.Revision);
        if (commit is null)
        {
            await ErrorAsync(context, 404, "RevisionNotFound", $"Invalid rev id: {route.Revision}");
            return;
        }
        switch (route.Action)
        {
            case "resolve": await ResolveAsync(context, repo, commit, route.Path, token); break;
            case "paths-info" when HttpMethods.IsPost(context.Request.Method): await PathsInfoAsync(context, commit); break;
            case "revision": await RevisionAsync(context, repo, commit); break;
            case "info" when HttpMethods.IsGet(context.Request.Method): await RevisionAsync(context, repo, commit); break;
            case "tree": await TreeAsync(context, commit, route.Path); break;
            default: await ErrorAsync(context, 405, null, "Method not allowed"); break;
        }
    }

    /// <summary>
    /// Splits /[datasets/]ID/resolve/REV/PATH, /api/TYPEs/ID/ACTION/REV[/PATH] and /api/TYPEs/ID (info); an id has one
    /// segment (legacy) or two, told apart by where the action stands. Segments are unescaped one by one, so %2F in a
    /// revision stays in it.
    /// </summary>
    static HubRoute? Parse(string path)
    {
        var segments = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        int at = 0;
        string type = "model", prefix = "/";
        if (segments is ["api", "models" or "datasets", ..])
        {
            type = segments[1][..^1];
            prefix = $"/api/{segments[1]}/";
            at = 2;
        }
        else if (segments is ["datasets", ..])
        {
            (type, prefix, at) = ("dataset", "/datasets/", 1);
        }
        bool api = at == 2;
        bool IsAction(int i) => i < segments.Length && (api ? ApiActions.Contains(segments[i]) : segments[i] == "resolve");
        int action = IsAction(at + 1) ? at + 1 : IsAction(at + 2) ? at + 2 : -1;
        if (action < 0 && api && segments.Length - at is 1 or 2)
            return new HubRoute("info", type, string.Join('/', segments[at..]), prefix, null, "");
        if (action < 0) return null;
        var id = string.Join('/', segments[at..action]);
        var revision = action + 1 < segments.Length ? segments[action + 1] : null;
        var rest = action + 2 < segments.Length ? string.Join('/', segments[(action + 2)..]) : "";
        return new HubRoute(segments[action], type, id, prefix, revision, rest);
    }

    /// <summary>307 to the same path and query under the new id, relative, as the hub redirects a renamed repo.</summary>
    static void RedirectRenamed(HttpContext context, HubRoute route, string newId)
    {
        var raw = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var old = route.IdPrefix + route.Id;
        context.Response.StatusCode = 307;
        context.Response.Headers.Location = route.IdPrefix + newId + raw[old.Length..];
        context.Response.ContentLength = 0;
    }

    static async Task ErrorAsync(HttpContext context, int status, string? code, string message)
    {
        if (code is not null) context.Response.Headers["X-Error-Code"] = code;
        context.Response.Headers["X-Error-Message"] = message;
        await WriteJsonAsync(context, new { error = message }, status);
    }

    static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
    static readonly JsonSerializerOptions JsonWithNulls = new();

    static async Task WriteJsonAsync(HttpContext context, object value, int status = 200, bool nullValues = false, string contentType = "application/json; charset=utf-8")
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, nullValues ? JsonWithNulls : Json);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = bytes.Length;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await context.Response.Body.WriteAsync(bytes);
        Exchange(context).BodyBytes += bytes.Length;
    }

    static HubExchange Exchange(HttpContext context) => (HubExchange)context.Items[typeof(HubExchange)]!;
}
