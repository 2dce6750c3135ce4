using System.Text;
using System.Text.RegularExpressions;

namespace FineTune.Core.Data;

/// <summary>
/// The glob patterns of a dataset card's data_files, matched against paths relative to the dataset's root with '/'
/// separators, as <c>datasets</c> resolves them: <c>*</c> and <c>?</c> stay within one path part, <c>**</c> crosses
/// '/' (and <c>**/</c> also matches no folder at all), <c>[...]</c> is a set of characters (<c>[!...]</c> its
/// complement). Case-sensitive, as the hub and Linux are.
/// </summary>
internal static class DatasetGlob
{
    public static Regex ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        int i = 0;
        while (i < pattern.Length)
        {
            char c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                bool partStart = i == 0 || pattern[i - 1] == '/';
                while (i < pattern.Length && pattern[i] == '*') i++;
                if (partStart && i < pattern.Length && pattern[i] == '/')
                {
                    regex.Append("(?:.*/)?");
                    i++;
                }
                else regex.Append(".*");
                continue;
            }
            if (c == '*') regex.Append("[^/]*");
            else if (c == '?') regex.Append("[^/]");
            else if (c == '[' && SetEnd(pattern, i) is int end and > 0)
            {
                var set = pattern[(i + 1)..end];
                bool negated = set.StartsWith('!');
                if (negated) set = set[1..];
                set = set.Replace("\\", "\\\\").Replace("[", "\\[");
                if (!negated && set.StartsWith('^')) set = "\\" + set; // a literal '^', not .NET's complement
                regex.Append(negated ? "[^/" : "[").Append(set).Append(']');
                i = end;
            }
            else regex.Append(Regex.Escape(c.ToString()));
            i++;
        }
        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    /// <summary>The index of the ']' closing the set opened at <paramref name="start"/>, or -1 (then '[' is literal).</summary>
    static int SetEnd(string pattern, int start)
    {
        int j = start + 1;
        if (j < pattern.Length && pattern[j] == '!') j++;
        if (j < pattern.Length && pattern[j] == ']') j++; // a leading ']' is a member, as in fnmatch
        return pattern.IndexOf(']', j);
    }
}
