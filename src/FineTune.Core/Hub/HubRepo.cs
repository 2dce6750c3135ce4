using System.Text.RegularExpressions;

namespace FineTune.Core.Hub;

/// <summary>
/// A Hugging Face Hub repository named by id: a model or a dataset, `org/name` or a legacy name without an org
/// (`yelp_review_full`). Ids are checked as `huggingface_hub`'s validate_repo_id checks them; the cache folder is
/// named as `huggingface_hub` names it (`models--org--name`, `datasets--name`).
/// </summary>
public sealed partial record HubRepo
{
    public const string Model = "model";
    public const string Dataset = "dataset";
    const int MaxIdLength = 96;

    public string Type { get; }
    public string Id { get; }

    HubRepo(string type, string id) => (Type, Id) = (type, id);

    /// <summary>The repo an id names; InvalidInputException naming <paramref name="option"/> for one that is not an id.</summary>
    public static HubRepo Parse(string type, string id, string option) =>
        Problem(type, id) is { } problem ? throw new InvalidInputException($"{option}: '{id}' is not a Hugging Face Hub id ({problem})") : new HubRepo(type, id);

    /// <summary>Why <paramref name="id"/> is not a repo id, or null when it is one.</summary>
    public static string? Problem(string type, string id)
    {
        if (type is not (Model or Dataset)) return $"unknown repo type '{type}'";
        if (id.Length == 0) return "empty";
        if (id.Length > MaxIdLength) return $"longer than {MaxIdLength} characters";
        if (id.Count(c => c == '/') > 1) return "at most one '/', as in org/name";
        if (!IdPattern().IsMatch(id)) return "letters, digits, '-', '_' and '.' only, as org/name or name";
        if (id.Contains("--") || id.Contains("..")) return "'--' and '..' are not allowed";
        if (id.Split('/').Any(part => part[0] is '-' or '.' || part[^1] is '-' or '.')) return "a part may not start or end with '-' or '.'";
        return null;
    }

    /// <summary>"models--google-bert--bert-base-cased": this repo's folder in the cache.</summary>
    public string CacheFolder => $"{Type}s--{Id.Replace("/", "--", StringComparison.Ordinal)}";

    /// <summary>The path of this repo on the hub: the id for a model, datasets/ID for a dataset.</summary>
    public string UrlPath => Type == Dataset ? $"datasets/{Id}" : Id;

    public override string ToString() => Type == Dataset ? $"dataset {Id}" : Id;

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)?$")]
    private static partial Regex IdPattern();
}
