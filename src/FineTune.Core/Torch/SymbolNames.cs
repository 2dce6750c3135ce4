namespace FineTune.Core.Torch;

/// <summary>
/// The qualified name inside an Itanium-mangled C++ symbol, for messages: <c>_ZN2at4_ops10add_Tensor4callE...</c>
/// reads <c>at::_ops::add_Tensor::call</c>. Parameters are left out and template arguments shown as &lt;…&gt;; a name
/// this does not follow comes back as it is. Not a demangler: just enough to say which op or class is missing.
/// </summary>
public static class SymbolNames
{
    public static string Readable(string symbol)
    {
        if (!symbol.StartsWith("_Z", StringComparison.Ordinal)) return symbol;
        var (prefix, at) = symbol.AsSpan(2) switch
        {
            var s when s.StartsWith("TV") => ("vtable for ", 4),
            var s when s.StartsWith("TI") => ("typeinfo for ", 4),
            var s when s.StartsWith("TS") => ("typeinfo name for ", 4),
            var s when s.StartsWith("TH") => ("thread-local init for ", 4),
            _ => ("", 2),
        };
        var name = Qualified(symbol, ref at);
        return name is null ? symbol : prefix + name;
    }

    // <nested-name> (N [K] ... E) or a single <source-name>; null when the text is not one of those.
    static string? Qualified(string s, ref int at)
    {
        if (at >= s.Length) return null;
        if (s[at] != 'N') return SourceName(s, ref at);
        at++;
        while (at < s.Length && s[at] is 'K' or 'V' or 'r') at++; // const, volatile, restrict methods
        var parts = new List<string>();
        while (at < s.Length && s[at] != 'E')
        {
            if (s[at] == 'S' && at + 1 < s.Length && s[at + 1] == 't') { parts.Add("std"); at += 2; }
            else if (s[at] == 'S') return Joined(parts, "::…");         // a back-reference: stop, keep what is known
            else if (s[at] == 'I') { SkipTemplateArguments(s, ref at); if (parts.Count > 0) parts[^1] += "<…>"; }
            else if (s[at] == 'B') { at++; SourceName(s, ref at); }     // an ABI tag such as [abi:cxx11]
            else if (s[at] is 'C' or 'D' && at + 1 < s.Length && char.IsAsciiDigit(s[at + 1]) && parts.Count > 0)
            {
                var type = parts[^1].Replace("<…>", "");
                parts.Add(s[at] == 'C' ? type : "~" + type);
                at += 2;
            }
            else if (char.IsAsciiDigit(s[at])) { if (SourceName(s, ref at) is { } part) parts.Add(part); else return null; }
            else return Joined(parts, "::operator…");                    // an operator name (ix, eq, cv...)
        }
        return Joined(parts, "");
    }

    static string? Joined(List<string> parts, string suffix) => parts.Count == 0 ? null : string.Join("::", parts) + suffix;

    // <source-name>: a decimal length, then that many characters.
    static string? SourceName(string s, ref int at)
    {
        int start = at;
        while (at < s.Length && char.IsAsciiDigit(s[at])) at++;
        if (at == start || !int.TryParse(s.AsSpan(start, at - start), out int length) || at + length > s.Length) return null;
        var name = s.Substring(at, length);
        at += length;
        return name;
    }

    // Template arguments, I ... E, nested: names are skipped whole (they may contain E), N/I/L/X open a level, E closes one.
    static void SkipTemplateArguments(string s, ref int at)
    {
        int depth = 0;
        do
        {
            if (char.IsAsciiDigit(s[at])) { SourceName(s, ref at); continue; }
            if (s[at] is 'N' or 'I' or 'L' or 'X') depth++;
            else if (s[at] == 'E') depth--;
            at++;
        }
        while (depth > 0 && at < s.Length);
    }
}
