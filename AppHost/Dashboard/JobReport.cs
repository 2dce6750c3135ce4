using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FineTune.Contracts.V1;

namespace FineTune.AppHost.Dashboard;

/// <summary>
/// The Report command's Markdown: the job's final metrics, one row per evaluation of its history, the confusion
/// matrix, then the downloaded report.md with its plots linked to the AppHost's loopback file server.
/// </summary>
public static partial class JobReport
{
    public static string Markdown(Job job, string? reportMd, Uri? files)
    {
        var json = JsonNode.Parse(job.Json) as JsonObject;
        var md = new StringBuilder($"# Job {job.Id}\n\n");
        if (json?["metrics"] is JsonObject metrics)
        {
            md.Append("## Metrics\n\n| metric | value |\n|---|---:|\n");
            foreach (var (key, value) in metrics) md.Append($"| {key} | {Number(value)} |\n");
            md.Append('\n');
        }
        var evals = (json?["history"] as JsonArray ?? []).OfType<JsonObject>().Where(h => h["eval_accuracy"] is not null).ToList();
        if (evals.Count > 0)
        {
            md.Append("## Per evaluation\n\n| epoch | step | eval_loss | eval_accuracy | eval_f1_macro |\n|---:|---:|---:|---:|---:|\n");
            foreach (var e in evals) md.Append($"| {Number(e["epoch"])} | {e["step"]} | {Number(e["eval_loss"])} | {Number(e["eval_accuracy"])} | {Number(e["eval_f1_macro"])} |\n");
            md.Append('\n');
        }
        if (json?["confusion_matrix"] is JsonArray matrix && json["label_names"] is JsonArray labels)
        {
            md.Append("## Confusion matrix (rows: true label, columns: predicted)\n\n| |").Append(string.Concat(labels.Select(l => $" {l} |"))).Append('\n');
            md.Append("|---|").Append(string.Concat(labels.Select(_ => "---:|"))).Append('\n');
            for (int i = 0; i < matrix.Count; i++)
                md.Append($"| **{labels[i]}** |").Append(string.Concat((matrix[i] as JsonArray ?? []).Select(c => $" {c} |"))).Append('\n');
            md.Append('\n');
        }
        if (reportMd is not null)
            md.Append(files is null ? reportMd : ImageLink().Replace(reportMd, m => $"![{m.Groups[1].Value}]({new Uri(files, m.Groups[2].Value)})"));
        return md.ToString();
    }

    static string Number(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) ? (d == Math.Floor(d) && Math.Abs(d) < 1e9 ? d.ToString("0", CultureInfo.InvariantCulture) : d.ToString("0.####", CultureInfo.InvariantCulture))
        : node?.ToString() ?? "";

    [GeneratedRegex(@"!\[([^\]]*)\]\(([^)/:]+\.png)\)")]
    private static partial Regex ImageLink();
}
