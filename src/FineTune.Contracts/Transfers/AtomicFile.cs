using System.Text;

namespace FineTune.Contracts.Transfers;

/// <summary>
/// Writes files so that a reader or a crash never sees a half-written one: the content goes to a temporary hidden
/// sibling, is flushed to disk, then renamed over the target, which is atomic within one file system. The parent folder
/// must exist, as for <see cref="File.WriteAllText(string, string?)"/>. Small files in one call (<see cref="WriteAllText"/>,
/// <see cref="WriteAllBytes"/>), a copy (<see cref="Copy"/>), or any stream of bytes through <see cref="Create"/>.
/// </summary>
public static class AtomicFile
{
    // UTF-8 without a byte order mark, as File.WriteAllText writes and JSON readers expect.
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Utf8.GetBytes(text));

    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var file = Create(path);
        file.Stream.Write(bytes);
        file.Commit();
    }

    /// <summary>A copy of <paramref name="source"/> at <paramref name="path"/>, which appears only once complete.</summary>
    public static void Copy(string source, string path)
    {
        using var file = Create(path);
        using (var input = File.OpenRead(source)) input.CopyTo(file.Stream);
        file.Commit();
    }

    /// <summary>
    /// Starts a file at <paramref name="path"/>: write into <see cref="Writer.Stream"/>, then <see cref="Writer.Commit"/>
    /// renames it into place. Disposed without a commit (an error, a broken stream), the temporary file is deleted.
    /// </summary>
    public static Writer Create(string path) => new(path);

    public sealed class Writer : IDisposable
    {
        readonly string temporary;
        bool committed;

        internal Writer(string path)
        {
            Target = Path.GetFullPath(path);
            var folder = Path.GetDirectoryName(Target) ?? throw new ArgumentException($"'{Target}' has no parent folder", nameof(path));
            // A unique hidden name: concurrent writers of the same file never share a temporary, and listings skip it.
            temporary = Path.Combine(folder, $".{Path.GetFileName(Target)}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
            Stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }

        /// <summary>The final path.</summary>
        public string Target { get; }

        public FileStream Stream { get; }

        /// <summary>Flushes the bytes to disk and renames the file into place (replacing any file there).</summary>
        public void Commit()
        {
            ObjectDisposedException.ThrowIf(committed, this);
            // Without this a power loss after the rename can leave an empty file under the target's name.
            Stream.Flush(flushToDisk: true);
            Stream.Dispose();
            File.Move(temporary, Target, overwrite: true);
            committed = true;
        }

        public void Dispose()
        {
            Stream.Dispose();
            if (committed) return;
            try
            {
                File.Delete(temporary); // only when the write or the rename failed
            }
            catch (IOException) { } // best effort: the original error matters more
            catch (UnauthorizedAccessException) { }
        }
    }
}
