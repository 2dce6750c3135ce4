namespace FineTune.Core.Tokenization;

/// <summary>
/// One encoded text (or text pair): parallel arrays, all the same length.
/// Named BertEncoding, not Encoding, so it never clashes with System.Text.Encoding.
/// </summary>
public sealed record BertEncoding(string[] Tokens, int[] InputIds, int[] AttentionMask, int[] TokenTypeIds)
{
    public int Length => InputIds.Length;
}

/// <summary>How the text is normalized before WordPiece (Hugging Face BertNormalizer settings).</summary>
/// <param name="DoLowerCase">Lower-case the text (uncased models).</param>
/// <param name="StripAccents">null follows DoLowerCase, as in Hugging Face; true strips even when cased.</param>
/// <param name="TokenizeChineseChars">Put spaces around CJK ideographs so each is its own word.</param>
/// <param name="ModelMaxLength">Default maximum sequence length, special tokens included.</param>
/// <param name="CleanText">Drop control characters and turn any whitespace into a plain space.</param>
public sealed record TokenizerOptions(
    bool DoLowerCase = true,
    bool? StripAccents = null,
    bool TokenizeChineseChars = true,
    int ModelMaxLength = 512,
    bool CleanText = true)
{
    internal bool ShouldStripAccents => StripAccents ?? DoLowerCase;
}

/// <summary>A tokenizer folder or vocabulary that cannot be used; the message names the file and the problem.</summary>
public sealed class TokenizerException(string message, Exception? inner = null) : InvalidInputException(message, inner);
