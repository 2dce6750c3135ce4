namespace FineTune.Core.Data;

/// <summary>Dynamic: pad each batch to its longest row (Hugging Face's DataCollatorWithPadding). MaxLength: always to max length.</summary>
public enum Padding
{
    Dynamic,
    MaxLength,
}
