using System.CommandLine;
using System.Text.Json.Nodes;
using FineTune.Core;
using FineTune.Core.Arguments;
using FineTune.Core.Data;
using FineTune.Core.Inference;
using FineTune.Core.Training;

namespace FineTune.Cli.Commands;

/// <summary>finetune evaluate [--model DIR] --dataset PATH [dataset options] [--json]: accuracy, F1 and the confusion matrix.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var modelRevision = CommonOptions.ModelRevision();
        var dataset = new Option<string>("--dataset") { Description = "labelled file (.csv, .jsonl, .json, .parquet), folder or hub dataset id (its test, else validation split) whose labels are the model's label names", Required = true };
        var datasetRevision = new Option<string?>("--dataset-revision") { Description = "branch, tag or commit of a hub dataset (default main)" };
        var datasetConfig = new Option<string?>("--dataset-config") { Description = "the dataset's config (default: its README's default config, or its only one)" };
        var textColumn = new Option<string>("--text-column") { Description = "default text", DefaultValueFactory = _ => "text" };
        var pairColumn = new Option<string?>("--text-pair-column") { Description = "column holding a second text segment" };
        var labelColumn = new Option<string>("--label-column") { Description = "default label", DefaultValueFactory = _ => "label" };
        var maxLength = new Option<int?>("--max-length") { Description = "truncate to N tokens (default: the model's maximum, at most 512)" };
        var batchSize = new Option<int>("--batch-size") { Description = "default 32", DefaultValueFactory = _ => 32 };
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("evaluate", "Measure a model's accuracy on a labelled dataset") { model, modelRevision, dataset, datasetRevision, datasetConfig, textColumn, pairColumn, labelColumn, maxLength, batchSize, threads, device, json };
        command.SetAction(parse =>
        {
            Cli.ApplyThreads(parse.GetValue(threads));
            using var classifier = TextClassifier.Load(HubDownloads.Model(parse.GetValue(model), parse.GetValue(modelRevision)), DeviceChoice.Resolve(null, parse.GetValue(device)!));
            var path = HubDownloads.EvalDataset(parse.GetValue(dataset)!, parse.GetValue(datasetRevision), parse.GetValue(datasetConfig), parse.GetValue(labelColumn)!);
            var options = new DatasetOptions { Dataset = path, Config = parse.GetValue(datasetConfig), TextColumn = parse.GetValue(textColumn)!, TextPairColumn = parse.GetValue(pairColumn), LabelColumn = parse.GetValue(labelColumn)! };
            var result = DatasetEvaluation.Evaluate(classifier, path, options, parse.GetValue(batchSize), parse.GetValue(maxLength));

            if (parse.GetValue(json))
            {
                Console.WriteLine(ToJson(result).ToJsonString(Json.Indented));
                return Cli.Success;
            }
            var table = new Table("label", "precision", "recall", "f1", "support");
            foreach (var c in result.PerClass) table.Add(c.Label, c.Precision.ToString("0.000"), c.Recall.ToString("0.000"), c.F1.ToString("0.000"), c.Support.ToString());
            table.Write(Console.Out);
            Console.WriteLine();
            Console.WriteLine($"accuracy {result.Accuracy:0.0000}  macro-F1 {result.F1Macro:0.0000}  loss {result.Loss:0.0000}  on {result.Samples} examples");
            return Cli.Success;
        });
        return command;
    }

    static JsonObject ToJson(EvalResult r) => new()
    {
        ["eval_accuracy"] = r.Accuracy,
        ["eval_f1_macro"] = r.F1Macro,
        ["eval_loss"] = r.Loss,
        ["per_class"] = new JsonArray(r.PerClass.Select(c => (JsonNode?)new JsonObject { ["label"] = c.Label, ["precision"] = c.Precision, ["recall"] = c.Recall, ["f1"] = c.F1, ["support"] = c.Support }).ToArray()),
        ["confusion_matrix"] = new JsonArray(r.ConfusionMatrix.Select(row => (JsonNode?)new JsonArray(row.Select(x => (JsonNode?)x).ToArray())).ToArray()),
        ["label_names"] = new JsonArray(r.LabelNames.Select(l => (JsonNode?)l).ToArray()),
        ["eval_samples"] = r.Samples,
    };
}
