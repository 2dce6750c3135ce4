using System.Text;

namespace FineTune.Core.Data;

/// <summary>
/// Reads a text file as UTF-8 lines (a leading BOM skipped), decoding each line on its own so that invalid
/// bytes are reported with their line number; a buffered StreamReader would fail a buffer ahead of the reader.
/// Lines lose their '\n' but keep any '\r' (CSV keeps it inside quoted fields; JSON treats it as whitespace).
/// </summary>
internal static class Utf8Lines
{
    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IEnumerable<(int Line, string Text)> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var buffer = new byte[64 * 1024];
        int start = 0, end = 0, line = 0;
        bool atEnd = false;
        while (true)
        {
            int newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            if (newline < 0 && !atEnd)
            {
                // Keep the partial line, then read more behind it (growing the buffer for very long lines).
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
                if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                int read = stream.Read(buffer, end, buffer.Length - end);
                if (read == 0) atEnd = true;
                end += read;
                continue;
            }
            if (newline < 0 && start == end) yield break;
            int stop = newline < 0 ? end : newline;
            line++;
            string text = Decode(path, line, buffer, start, stop - start);
            start = newline < 0 ? end : newline + 1;
            yield return (line, text);
        }
    }

    static string Decode(string path, int line, byte[] bytes, int start, int count)
    {
        if (line == 1 && count >= 3 && bytes[start] == 0xEF && bytes[start + 1] == 0xBB && bytes[start + 2] == 0xBF)
        {
            start += 3;
            count -= 3;
        }
        try
        {
            return Strict.GetString(bytes, start, count);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidInputException($"{path}:{line}: not valid UTF-8 text (save the file as UTF-8)");
        }
    }
}
