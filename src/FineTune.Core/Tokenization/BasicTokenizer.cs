using System.Buffers;
using System.Text;

namespace FineTune.Core.Tokenization;

/// <summary>
/// Hugging Face's BertNormalizer + BertPreTokenizer (the Rust `tokenizers` versions, which BertTokenizerFast uses):
/// clean text, space out CJK ideographs, strip accents, lower-case, then split into words on whitespace and punctuation.
/// </summary>
internal static class BasicTokenizer
{
    /// <summary>
    /// Writes the normalized text into a rented buffer (return it to ArrayPool&lt;char&gt;.Shared) and returns its length.
    /// The order is Rust's: clean, CJK, strip accents, lower-case.
    /// </summary>
    public static int Normalize(ReadOnlySpan<char> text, TokenizerOptions options, out char[] buffer)
    {
        bool clean = options.CleanText;
        bool chinese = options.TokenizeChineseChars;
        bool lower = options.DoLowerCase;
        bool strip = options.ShouldStripAccents;
        // Stripping decomposes first, so non-ASCII lower-casing then waits until after NFD.
        bool lowerNonAsciiNow = lower && !strip;

        // At most 3 chars out per char in: a CJK ideograph gains two spaces; 'İ' lower-cases to "i\u0307".
        buffer = ArrayPool<char>.Shared.Rent(text.Length * 3 + 1);
        var dst = buffer.AsSpan();
        int n = 0;
        bool nonAscii = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 0x80)
            {
                if (clean && (c < 0x20 || c == 0x7F))
                {
                    // \t \n \r count as whitespace; every other ASCII control (and \0) is dropped.
                    if (c is '\t' or '\n' or '\r')
                        dst[n++] = ' ';
                    continue;
                }
                dst[n++] = lower && c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;
                continue;
            }

            nonAscii = true;
            int cp = c;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                cp = char.ConvertToUtf32(c, text[++i]);
            else if (char.IsSurrogate(c))
                cp = 0xFFFD; // a lone surrogate reaches Rust as U+FFFD (invalid UTF-16 cannot become UTF-8)

            if (clean)
            {
                if (cp == 0xFFFD || RustUnicode.IsControl(cp))
                    continue;
                if (IsWhitespace(cp))
                {
                    dst[n++] = ' ';
                    continue;
                }
            }
            bool cjk = chinese && IsChineseChar(cp);
            if (cjk)
                dst[n++] = ' ';
            n += lowerNonAsciiNow ? WriteLower(cp, dst[n..]) : WriteCodePoint(cp, dst[n..]);
            if (cjk)
                dst[n++] = ' ';
        }

        if (strip && nonAscii)
            n = StripAccents(ref buffer, n, lower);
        return n;
    }

    /// <summary>NFD, drop non-spacing marks (Mn), and lower-case what is left if asked.</summary>
    private static int StripAccents(ref char[] buffer, int length, bool lower)
    {
        var text = buffer.AsSpan(0, length);
        var result = ArrayPool<char>.Shared.Rent(length + 16);
        var decomposed = ArrayPool<char>.Shared.Rent(64);
        int n = 0;
        for (int i = 0; i < text.Length;)
        {
            // ASCII is its own decomposition and ends any run of marks, so only the non-ASCII runs need NFD.
            int end = text[i..].IndexOfAnyExceptInRange('\0', '\x7F');
            end = end < 0 ? text.Length : i + end;
            text[i..end].CopyTo(result.AsSpan(n)); // already lower-cased
            n += end - i;
            if ((i = end) == text.Length)
                break;

            end = text[i..].IndexOfAnyInRange('\0', '\x7F');
            end = end < 0 ? text.Length : i + end;
            int m = Decompose(text[i..end], ref decomposed);
            // Dropping marks and lower-casing never lengthen it; the rest of the text must still fit after it.
            while (result.Length < n + m + (text.Length - end))
                Grow(ref result, n);
            n += DropMarks(decomposed.AsSpan(0, m), result.AsSpan(n), lower);
            i = end;
        }
        ArrayPool<char>.Shared.Return(decomposed);
        ArrayPool<char>.Shared.Return(buffer);
        buffer = result;
        return n;
    }

    private static int DropMarks(ReadOnlySpan<char> text, Span<char> dst, bool lower)
    {
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int cp = char.IsHighSurrogate(text[i]) ? char.ConvertToUtf32(text[i], text[++i]) : text[i];
            if (RustUnicode.IsNonSpacingMark(cp))
                continue;
            // Decomposing can yield upper-case ASCII ('Å' -> 'A' + ring), so this lower-cases ASCII too.
            n += lower ? WriteLower(cp, dst[n..]) : WriteCodePoint(cp, dst[n..]);
        }
        return n;
    }

    // NFD into dst, except that the characters Rust keeps composed are copied as they are.
    private static int Decompose(ReadOnlySpan<char> text, ref char[] dst)
    {
        int n = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] < 0xD800)
                continue;
            int width = char.IsHighSurrogate(text[i]) ? 2 : 1;
            int cp = width == 2 ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i];
            if (RustUnicode.KeepsComposed(cp))
            {
                AppendNfd(text[start..i], ref dst, ref n);
                while (!text.Slice(i, width).TryCopyTo(dst.AsSpan(n)))
                    Grow(ref dst, n);
                n += width;
                start = i + width;
            }
            i += width - 1;
        }
        AppendNfd(text[start..], ref dst, ref n);
        return n;
    }

    private static void AppendNfd(ReadOnlySpan<char> text, ref char[] dst, ref int n)
    {
        int written;
        while (!text.TryNormalize(dst.AsSpan(n), out written, NormalizationForm.FormD))
            Grow(ref dst, n);
        n += written;
    }

    private static void Grow(ref char[] buffer, int used)
    {
        var bigger = ArrayPool<char>.Shared.Rent(buffer.Length * 2);
        buffer.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<char>.Shared.Return(buffer);
        buffer = bigger;
    }

    /// <summary>
    /// Finds the next word of normalized text at or after <paramref name="pos"/>: a run of characters ending at
    /// whitespace or punctuation, or a single punctuation character. Returns false at the end of the text.
    /// </summary>
    public static bool NextWord(ReadOnlySpan<char> text, ref int pos, out ReadOnlySpan<char> word)
    {
        int i = pos;
        while (i < text.Length && IsWhitespace(text[i]))
            i++;
        if (i == text.Length)
        {
            pos = i;
            word = default;
            return false;
        }

        int start = i;
        if (IsPunctuationAt(text, i, out int width))
        {
            i += width;
        }
        else
        {
            i += width;
            while (i < text.Length && !IsWhitespace(text[i]) && !IsPunctuationAt(text, i, out width))
                i += width;
        }
        pos = i;
        word = text[start..i];
        return true;
    }

    private static bool IsPunctuationAt(ReadOnlySpan<char> text, int i, out int width)
    {
        char c = text[i];
        if (c < 0x80)
        {
            width = 1;
            return IsAsciiPunctuation(c);
        }
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            width = 2;
            return RustUnicode.IsPunctuation(char.ConvertToUtf32(c, text[i + 1]));
        }
        width = 1;
        return RustUnicode.IsPunctuation(c);
    }

    // Like Rust's char::is_whitespace (the Unicode White_Space property), which .NET's char.IsWhiteSpace matches.
    // It is wider than Python's check: it also counts U+2028/U+2029.
    private static bool IsWhitespace(int cp) => cp == ' ' || cp < 0x10000 && char.IsWhiteSpace((char)cp);

    private static bool IsAsciiPunctuation(int c) => c is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126;

    // The CJK ranges of Rust's BertNormalizer (Python's _is_chinese_char starts the fifth range at 0x2B820).
    private static bool IsChineseChar(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF
            or >= 0x3400 and <= 0x4DBF
            or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F
            or >= 0x2B920 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF
            or >= 0x2F800 and <= 0x2FA1F;

    private static int WriteCodePoint(int cp, Span<char> dst)
    {
        if (cp < 0x10000)
        {
            dst[0] = (char)cp;
            return 1;
        }
        return new Rune(cp).EncodeToUtf16(dst);
    }

    // Rust lower-cases with the full Unicode mapping; the only one-to-many case is U+0130 'İ' -> "i\u0307".
    private static int WriteLower(int cp, Span<char> dst)
    {
        if (cp == 0x130)
        {
            dst[0] = 'i';
            dst[1] = '\u0307';
            return 2;
        }
        return WriteCodePoint(RustUnicode.ToLower(cp), dst);
    }
}
