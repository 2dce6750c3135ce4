namespace FineTune.Core.Hub;

/// <summary>A branch, tag or commit of a hub repo, checked before it names a file or a ref in the cache.</summary>
public static class HubRevision
{
    public const string Default = "main";
    const int MaxLength = 256;

    /// <summary>A 40-hex commit hash: used as it is, no ref to read.</summary>
    public static bool IsCommit(string revision) => revision.Length == 40 && revision.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>Why <paramref name="revision"/> cannot name a revision, or null when it can.</summary>
    public static string? Problem(string revision) =>
        revision.Length == 0 ? "empty"
        : revision.Length > MaxLength ? $"longer than {MaxLength} characters"
        : revision.Any(char.IsControl) || revision.Contains('\\') ? "control characters and '\\' are not allowed"
        : revision.Split('/').Any(part => part is "" or "." or "..") ? "empty, '.' and '..' parts are not allowed"
        : null;

    /// <summary><paramref name="revision"/>, checked (InvalidInputException naming <paramref name="option"/>).</summary>
    public static string Check(string revision, string option) =>
        Problem(revision) is { } problem ? throw new InvalidInputException($"{option}: '{revision}' is not a revision ({problem})") : revision;
}
