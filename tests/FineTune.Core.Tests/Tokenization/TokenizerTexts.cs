using System.Globalization;
using System.Text;

namespace FineTune.Core.Tests.Tokenization;

/// <summary>Texts and vocabularies the tokenizer tests compare on: edge cases, generated reviews, derived vocabularies.</summary>
public static class TokenizerTexts
{
    // Texts that exercise each normalization and splitting rule.
    public static readonly string[] EdgeCases =
    [
        "", " ", "   \t\n\r  ", "Hello, World!", "HELLO world MiXeD cAsE", "hello...world!!! ?!?",
        "café naïve Ångström résumé Crème Brûlée", "Mixed CASE With Accénts ÀÉÎÕÜ àéîõü ñ Ñ ç",
        "中文字符 and 漢字混在text中", "日本語のテキスト、カタカナ。ひらがな", "한국어 텍스트 입니다", "ภาษาไทย", "हिन्दी भाषा",
        "שָׁלוֹם עולם", "العربية مرحبا بكم", "Ελληνικά ΣΊΣΥΦΟΣ σοφός", "Русский ТЕКСТ ёлка", "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ１２３！",
        "I love it 👍🏽!!", "family: 👨‍👩‍👧‍👦 ok", "emoji🙂in🙂word", "❤️ ♥ ★ ✓", "flags 🇫🇷🇯🇵",
        "https://example.com/path/to?q=1&x=2#frag", "mail me at some.one+tag@example.org", "#hashtag @mention",
        "3.14 1,000 $5.99 50% 2nd 1st 10:30pm 2024-01-31 1e-5", "unaffable", "running jumped happily",
        new string('a', 100), new string('a', 101), "x" + new string('é', 99), "x" + new string('é', 100),
        string.Concat(Enumerable.Repeat("😀", 100)), string.Concat(Enumerable.Repeat("😀", 101)), string.Concat(Enumerable.Repeat("super", 20)) + "x",
        string.Concat(Enumerable.Repeat("antidisestablishmentarianism", 3)),
        "a\u0000b", "bell\u0007ring", "zero\u200bwidth", "bad\ufffdchar", "tab\there\nnewline\r\nwindows\vvertical\fform",
        "e\u0301 combining a\u0308o\u0308 n\u0303", "\u0301 leading mark", "İstanbul ıi İ", "straße STRASSE ẞ", "ﬁ ligature ǅ Ǆ",
        "line\u2028separator\u2029para", "nbsp\u00a0here", "ideographic\u3000space", "nel\u0085x", "soft\u00adhyphen",
        "private\ue000use\uf8ff", "\U000F0000 plane 15", "tag\U000E0041s", "variation\ufe0fselector", "Ωhm Kelvin K Å",
        "under_score snake_case", "don't can't won't", "“quoted” ‘single’ — dash – en… «guillemets»", "¿Qué? ¡Sí!",
        "greek varia a\u1FEFb and \u037E question", "[CLS] literal [SEP] tokens [MASK] and [mask] [UNK]x[PAD]", "[SEP[SEP]]",
        "CJK compat \uF900\uFA0B and ext \U00020000 \U0002B81F \U0002B820 \U0002B920 \U0002F800",
        string.Join(' ', Enumerable.Repeat("The quick brown fox jumps over the lazy dog.", 80)),
    ];

    /// <summary>Review-like sentences: vocabulary words with casing, accents, punctuation, numbers, emoji and glued pieces.</summary>
    public static string[] GenerateReviews(IReadOnlyList<string> vocab, int count, int seed)
    {
        var random = new Random(seed);
        var words = vocab.Where(t => t.Length > 0 && char.IsLetter(t[0]) && !t.StartsWith("[")).ToArray();
        var pieces = vocab.Where(t => t.StartsWith("##")).Select(t => t[2..]).ToArray();
        string[] punctuation = [".", ",", "!", "?", "...", ";", ":", "'", "\"", "(", ")", "-", "—", "’", "…"];
        string[] emoji = ["👍", "👍🏽", "😀", "❤️", "🔥", "⭐⭐⭐⭐⭐", "👨‍👩‍👧", "🇺🇸"];
        string[] accented = ["café", "naïve", "Über", "résumé", "jalapeño", "Ångström", "fiancée", "São Paulo", "Zürich"];
        string[] odd = ["中文", "日本", "한국", "3.14", "1,000", "$20", "5/5", "10%", "B+", "2x", "100mph", "\t", "\n", "\u00a0"];

        var texts = new string[count];
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            sb.Clear();
            int length = random.Next(1, 40);
            for (int w = 0; w < length; w++)
            {
                string word = words[random.Next(words.Length)];
                int roll = random.Next(100);
                if (roll < 10)
                    word = CultureInfo.InvariantCulture.TextInfo.ToTitleCase(word);
                else if (roll < 13)
                    word = word.ToUpperInvariant();
                else if (roll < 18)
                    word += pieces[random.Next(pieces.Length)];
                else if (roll < 22)
                    word = accented[random.Next(accented.Length)];
                else if (roll < 26)
                    word = odd[random.Next(odd.Length)];
                else if (roll < 29)
                    word += emoji[random.Next(emoji.Length)];
                sb.Append(word);
                roll = random.Next(100);
                if (roll < 12)
                    sb.Append(punctuation[random.Next(punctuation.Length)]);
                sb.Append(roll < 95 ? " " : "");
            }
            texts[i] = sb.ToString();
        }
        return texts;
    }

    /// <summary>
    /// A small cased vocabulary from the texts themselves: most words with their case, every character alone
    /// and as a "##" piece, and a few word endings, so both whole-word and piece-by-piece matches happen.
    /// </summary>
    public static string[] DeriveVocab(IEnumerable<string> texts)
    {
        var tokens = new List<string> { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
        var seen = new HashSet<string>(tokens);
        void Add(string token)
        {
            if (token.Length > 0 && !token.EnumerateRunes().Contains(Rune.ReplacementChar) && seen.Add(token))
                tokens.Add(token);
        }

        int n = 0;
        foreach (string text in texts)
        {
            foreach (var rune in text.EnumerateRunes())
            {
                // Leave a few characters out so that some words become [UNK].
                if (rune.Value % 17 == 0)
                    continue;
                Add(rune.ToString());
                Add("##" + rune);
            }
            foreach (string word in text.Split([' ', '.', ',', '!', '?', '\'', '"', '(', ')'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (n++ % 3 != 0)
                    Add(word);
                if (word.Length > 4)
                    Add("##" + word[^3..]);
            }
        }
        return [.. tokens];
    }
}
