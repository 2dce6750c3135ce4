using System.Globalization;
using System.Text;

namespace FineTune.Core.Tokenization;

/// <summary>
/// Characters as Hugging Face's Rust tokenizers sees them. Its punctuation, control and mark tests use the
/// unicode_categories crate, whose tables are Unicode 8.0, while .NET 10 knows Unicode 16; its decompositions and
/// case mappings come from other Unicode versions again. The tables below list the code points where Rust and .NET
/// disagree, found by running every code point of planes 0-3 and 14 through tokenizers 0.22.2
/// (BertTokenizerTests.Every_code_point_matches_reference repeats that check).
/// </summary>
internal static class RustUnicode
{
    // P* (Pc Pd Ps Pe Pi Pf Po), as Rust's `is_punctuation`.
    public static bool IsPunctuation(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp) switch
    {
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => !InRanges(NewPunctuation, cp),
        _ => cp is 0x166D or 0x111C9, // punctuation in Unicode 8, a symbol and a mark now
    };

    // Cc, Cf and Co, as Rust's `is_other`: unlike Python it leaves out unassigned code points (Cn).
    public static bool IsControl(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp) switch
    {
        UnicodeCategory.Control or UnicodeCategory.PrivateUse => true,
        UnicodeCategory.Format => !InRanges(NewFormat, cp),
        _ => false,
    };

    // Mn, as Rust's `is_mark_nonspacing` (what strip_accents removes).
    public static bool IsNonSpacingMark(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp) switch
    {
        UnicodeCategory.NonSpacingMark => !InRanges(NewNonSpacingMarks, cp),
        _ => cp is 0x1734 or 0x1171E, // non-spacing in Unicode 8, spacing now
    };

    // Rust lower-cases with Unicode 17; .NET asks ICU (Unicode 15 here), which lacks these newer case pairs.
    public static int ToLower(int cp) => cp switch
    {
        0x1C89 => 0x1C8A,
        0xA7CB => 0x0264,
        0xA7CC or 0xA7CE or 0xA7D2 or 0xA7D4 or 0xA7DA => cp + 1,
        0xA7DC => 0x019B,
        >= 0x10D50 and <= 0x10D65 => cp + 0x20,
        >= 0x16EA0 and <= 0x16EB8 => cp + 0x1B,
        _ when !HasCase(cp) => cp, // skip the call into ICU for the many characters without case
        < 0x10000 => char.ToLowerInvariant((char)cp),
        _ => Rune.ToLowerInvariant(new Rune(cp)).Value,
    };

    // Only these have lower-case mappings: upper- and title-case letters, Roman numerals, circled capitals.
    private static bool HasCase(int cp) =>
        CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter
        || cp is >= 0x2160 and <= 0x216F or >= 0x24B6 and <= 0x24CF;

    // Characters whose canonical decomposition came after Rust's normalization tables, so Rust leaves them whole:
    // U+11938 (Unicode 13, checked here) and the Unicode 16 ones, which only matter where ICU knows Unicode 16
    // (this machine's ICU 72 is Unicode 15). Plus U+FFFE, which .NET refuses to normalize (it has no decomposition).
    public static bool KeepsComposed(int cp) => cp >= 0xFFFE && cp switch
    {
        0xFFFE or 0x11938 or 0x105C9 or 0x105E4 or 0x11383 or 0x11385 or 0x1138E or 0x11391 => true,
        0x113C5 or 0x113C7 or 0x113C8 or >= 0x16121 and <= 0x16128 or >= 0x16D68 and <= 0x16D6A => true,
        _ => false,
    };

    // Sorted inclusive [first, last] pairs.
    private static bool InRanges(ReadOnlySpan<int> ranges, int cp)
    {
        int lo = 0, hi = ranges.Length / 2 - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (cp < ranges[2 * mid])
                hi = mid - 1;
            else if (cp > ranges[2 * mid + 1])
                lo = mid + 1;
            else
                return true;
        }
        return false;
    }

    // Punctuation added after Unicode 8 (Rust: not punctuation).
    private static ReadOnlySpan<int> NewPunctuation =>
    [
        0x61D, 0x61D, 0x9FD, 0x9FD, 0xA76, 0xA76, 0xC77, 0xC77, 0xC84, 0xC84, 0x1B4E, 0x1B4F, 0x1B7D, 0x1B7F,
        0x2E43, 0x2E4F, 0x2E52, 0x2E5D, 0x10D6E, 0x10D6E, 0x10EAD, 0x10EAD, 0x10F55, 0x10F59, 0x10F86, 0x10F89,
        0x113D4, 0x113D5, 0x113D7, 0x113D8, 0x1144B, 0x1144F, 0x1145A, 0x1145B, 0x1145D, 0x1145D, 0x11660, 0x1166C,
        0x116B9, 0x116B9, 0x1183B, 0x1183B, 0x11944, 0x11946, 0x119E2, 0x119E2, 0x11A3F, 0x11A46, 0x11A9A, 0x11A9C,
        0x11A9E, 0x11AA2, 0x11B00, 0x11B09, 0x11BE1, 0x11BE1, 0x11C41, 0x11C45, 0x11C70, 0x11C71, 0x11EF7, 0x11EF8,
        0x11F43, 0x11F4F, 0x11FFF, 0x11FFF, 0x12FF1, 0x12FF2, 0x16D6D, 0x16D6F, 0x16E97, 0x16E9A, 0x16FE2, 0x16FE2,
        0x1E5FF, 0x1E5FF, 0x1E95E, 0x1E95F
    ];

    // Format characters added after Unicode 8 (Rust: kept).
    private static ReadOnlySpan<int> NewFormat =>
    [
        0x890, 0x891, 0x8E2, 0x8E2, 0x110CD, 0x110CD, 0x13430, 0x1343F
    ];

    // Non-spacing marks added after Unicode 8, plus U+111C9 (then punctuation) (Rust: not stripped).
    private static ReadOnlySpan<int> NewNonSpacingMarks =>
    [
        0x7FD, 0x7FD, 0x897, 0x89F, 0x8CA, 0x8E1, 0x9FE, 0x9FE, 0xAFA, 0xAFF, 0xB55, 0xB55, 0xC04, 0xC04,
        0xC3C, 0xC3C, 0xD00, 0xD00, 0xD3B, 0xD3C, 0xD81, 0xD81, 0xEBA, 0xEBA, 0xECE, 0xECE, 0x180F, 0x180F,
        0x1885, 0x1886, 0x1ABF, 0x1ACE, 0x1DF6, 0x1DFB, 0xA82C, 0xA82C, 0xA8C5, 0xA8C5, 0xA8FF, 0xA8FF,
        0xA9BD, 0xA9BD, 0x10D24, 0x10D27, 0x10D69, 0x10D6D, 0x10EAB, 0x10EAC, 0x10EFC, 0x10EFF, 0x10F46, 0x10F50,
        0x10F82, 0x10F85, 0x11070, 0x11070, 0x11073, 0x11074, 0x110C2, 0x110C2, 0x111C9, 0x111C9, 0x111CF, 0x111CF,
        0x1123E, 0x1123E, 0x11241, 0x11241, 0x1133B, 0x1133B, 0x113BB, 0x113C0, 0x113CE, 0x113CE, 0x113D0, 0x113D0,
        0x113D2, 0x113D2, 0x113E1, 0x113E2, 0x11438, 0x1143F, 0x11442, 0x11444, 0x11446, 0x11446, 0x1145E, 0x1145E,
        0x1182F, 0x11837, 0x11839, 0x1183A, 0x1193B, 0x1193C, 0x1193E, 0x1193E, 0x11943, 0x11943, 0x119D4, 0x119D7,
        0x119DA, 0x119DB, 0x119E0, 0x119E0, 0x11A01, 0x11A0A, 0x11A33, 0x11A38, 0x11A3B, 0x11A3E, 0x11A47, 0x11A47,
        0x11A51, 0x11A56, 0x11A59, 0x11A5B, 0x11A8A, 0x11A96, 0x11A98, 0x11A99, 0x11C30, 0x11C36, 0x11C38, 0x11C3D,
        0x11C3F, 0x11C3F, 0x11C92, 0x11CA7, 0x11CAA, 0x11CB0, 0x11CB2, 0x11CB3, 0x11CB5, 0x11CB6, 0x11D31, 0x11D36,
        0x11D3A, 0x11D3A, 0x11D3C, 0x11D3D, 0x11D3F, 0x11D45, 0x11D47, 0x11D47, 0x11D90, 0x11D91, 0x11D95, 0x11D95,
        0x11D97, 0x11D97, 0x11EF3, 0x11EF4, 0x11F00, 0x11F01, 0x11F36, 0x11F3A, 0x11F40, 0x11F40, 0x11F42, 0x11F42,
        0x11F5A, 0x11F5A, 0x13440, 0x13440, 0x13447, 0x13455, 0x1611E, 0x16129, 0x1612D, 0x1612F, 0x16F4F, 0x16F4F,
        0x16FE4, 0x16FE4, 0x1CF00, 0x1CF2D, 0x1CF30, 0x1CF46, 0x1E000, 0x1E006, 0x1E008, 0x1E018, 0x1E01B, 0x1E021,
        0x1E023, 0x1E024, 0x1E026, 0x1E02A, 0x1E08F, 0x1E08F, 0x1E130, 0x1E136, 0x1E2AE, 0x1E2AE, 0x1E2EC, 0x1E2EF,
        0x1E4EC, 0x1E4EF, 0x1E5EE, 0x1E5EF, 0x1E944, 0x1E94A
    ];
}
