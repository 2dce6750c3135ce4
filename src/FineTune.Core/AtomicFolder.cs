namespace FineTune.Core;

/// <summary>
/// Creates a folder all at once: it is filled under a unique temporary sibling name, a marker file is
/// written last, and the folder is renamed into place. Readers therefore see either nothing or a
/// complete folder, and concurrent creators (threads or processes) all end up using the one that won.
/// </summary>
public static class AtomicFolder
{
    public const string CompleteMarker = ".complete";

    // Temporary folders older than this belong to a crashed writer and may be removed.
    static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    public static bool IsComplete(string folder) => File.Exists(Path.Combine(folder, CompleteMarker));

    /// <summary>
    /// Returns <paramref name="target"/>, first creating it with <paramref name="fill"/> (which receives the
    /// temporary folder to write into) unless a complete one already exists.
    /// </summary>
    public static string Ensure(string target, Action<string> fill)
    {
        target = Path.GetFullPath(target);
        if (IsComplete(target)) return target;
        using var folder = Begin(target);
        fill(folder.Path);
        folder.Commit(replace: false);
        return target;
    }

    /// <summary>
    /// Creates <paramref name="target"/> with <paramref name="fill"/> as <see cref="Ensure"/> does, but replaces a folder
    /// already there (a checkpoint saved again after a resume): readers see the old folder, then none, then the new one.
    /// </summary>
    public static string Replace(string target, Action<string> fill)
    {
        using var folder = Begin(target);
        fill(folder.Path);
        folder.Commit(replace: true);
        return folder.Target;
    }

    /// <summary>
    /// Starts <paramref name="target"/> as an empty temporary sibling (<see cref="Pending.Path"/>) for a writer that
    /// fills it over time (a folder received over the network); <see cref="Pending.Commit"/> moves it into place, and
    /// disposing it uncommitted deletes it.
    /// </summary>
    public static Pending Begin(string target)
    {
        target = Path.GetFullPath(target);
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{target}' has no parent folder", nameof(target));
        Directory.CreateDirectory(parent);
        var name = Path.GetFileName(target);
        RemoveStaleTemporaries(parent, name);
        var temporary = Path.Combine(parent, $".{name}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        return new Pending(target, temporary);
    }

    public sealed class Pending(string target, string temporary) : IDisposable
    {
        public string Target { get; } = target;

        /// <summary>The temporary folder to write into.</summary>
        public string Path { get; } = temporary;

        /// <summary>
        /// Writes the marker and renames the folder into place. <paramref name="replace"/>: a folder already there is
        /// removed first; else a complete one already there wins (concurrent creators) and this one is dropped.
        /// </summary>
        public void Commit(bool replace)
        {
            File.WriteAllText(System.IO.Path.Combine(Path, CompleteMarker), DateTimeOffset.UtcNow.ToString("O"));
            if (replace) Delete(Target);
            // A target without the marker was left by something other than this class: replace it.
            else if (Directory.Exists(Target) && !IsComplete(Target)) TryDelete(Target);
            try
            {
                Directory.Move(Path, Target);
            }
            catch (IOException) when (!replace && IsComplete(Target))
            {
                // Another writer won the race; its folder is as good as ours.
            }
        }

        public void Dispose() => TryDelete(Path); // no-op once moved
    }

    /// <summary>
    /// Removes a folder all at once as seen by readers: it is first renamed to a temporary sibling (NAME.tmp-deleting-ID),
    /// then deleted. A crash in the middle leaves that sibling, never a half-emptied folder under the old name.
    /// </summary>
    public static void Delete(string folder)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder)) return;
        var doomed = $"{folder}.tmp-deleting-{Guid.NewGuid():N}";
        Directory.Move(folder, doomed);
        TryDelete(doomed);
    }

    static void RemoveStaleTemporaries(string parent, string name)
    {
        foreach (var folder in Directory.EnumerateDirectories(parent, $".{name}.tmp-*"))
            if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(folder) > StaleAfter) TryDelete(folder);
    }

    static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException) { } // best effort: a leftover temporary folder only costs disk space
        catch (UnauthorizedAccessException) { }
    }
}
