using System.Text;

namespace FineTune.Core;

/// <summary>
/// Writes small files (trainer state, configs, job records) so that a reader or a crash never sees a half-written
/// file: the content goes to a temporary sibling, is flushed to disk, then renamed over the target, which is atomic
/// within one file system. The parent folder must exist, as for <see cref="File.WriteAllText(string, string?)"/>.
/// </summary>
public static class AtomicFile
{
    // UTF-8 without a byte order mark, as File.WriteAllText writes and JSON readers expect.
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Utf8.GetBytes(text));

    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var target = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{target}' has no parent folder", nameof(path));
        // A unique hidden name: concurrent writers of the same file never share a temporary, and listings skip it.
        var temporary = Path.Combine(folder, $".{Path.GetFileName(target)}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                // Without this a power loss after the rename can leave an empty file under the target's name.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            try
            {
                if (File.Exists(temporary)) File.Delete(temporary); // only when the write or the rename failed
            }
            catch (IOException) { } // best effort: the original error matters more
            catch (UnauthorizedAccessException) { }
        }
    }
}
