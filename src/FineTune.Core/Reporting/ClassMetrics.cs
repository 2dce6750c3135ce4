namespace FineTune.Core.Reporting;

/// <summary>One row of sklearn's classification_report: a label's precision, recall, F1 and support (true count).</summary>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);
