namespace FineTune.Core.Data;

/// <summary>One training or evaluation example: a text (or text pair) and its label id.</summary>
public sealed record LabeledExample(string Text, string? TextPair, int Label);
