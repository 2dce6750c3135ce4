namespace FineTune.Core.Data;

/// <summary>
/// One batch as row-major [Size, Width] arrays, ready for torch tensors (long, as BERT's embeddings take).
/// RealTokens counts the non-padding tokens (for tokens/s and padding waste).
/// </summary>
public sealed record Batch(long[] InputIds, long[] AttentionMask, long[] TokenTypeIds, long[] Labels, int Size, int Width, long RealTokens);
