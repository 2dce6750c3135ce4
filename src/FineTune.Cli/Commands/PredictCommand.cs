using System.CommandLine;
using System.Text.Json.Nodes;
using FineTune.Core;
using FineTune.Core.Arguments;
using FineTune.Core.Data;
using FineTune.Core.Inference;

namespace FineTune.Cli.Commands;

/// <summary>finetune predict [--model DIR] (--text T ... | --input FILE [--text-column text] [--output FILE.jsonl]) [--batch-size N] [--json]</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var modelRevision = CommonOptions.ModelRevision();
        var text = new Option<string[]>("--text") { Description = "text to classify (repeatable)", AllowMultipleArgumentsPerToken = true };
        var input = new Option<FileInfo?>("--input") { Description = "texts to classify: .jsonl, .json, .csv (a text column) or .txt (one per line)" };
        var textColumn = new Option<string>("--text-column") { Description = "column holding the text in --input", DefaultValueFactory = _ => "text" };
        var output = new Option<FileInfo?>("--output") { Description = "write one JSON object per line to this .jsonl file instead of stdout" };
        var batchSize = new Option<int>("--batch-size") { Description = "texts per forward pass", DefaultValueFactory = _ => 32 };
        var maxLength = new Option<int?>("--max-length") { Description = "truncate each text to N tokens (default: the model's maximum)" };
        var threads = CommonOptions.Threads();
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();

        var command = new Command("predict", "Classify texts with a model folder") { model, modelRevision, text, input, textColumn, output, batchSize, maxLength, threads, device, json };
        command.Validators.Add(result =>
        {
            var hasText = result.GetValue(text) is { Length: > 0 };
            var hasInput = result.GetValue(input) is not null;
            if (hasText == hasInput) result.AddError("give either --text or --input (one of them)");
            if (result.GetValue(output) is not null && !hasInput) result.AddError("--output needs --input");
        });
        command.SetAction(parse =>
        {
            Cli.ApplyThreads(parse.GetValue(threads));
            var texts = parse.GetValue(input) is FileInfo file
                ? ReadTexts(file.FullName, parse.GetValue(textColumn)!)
                : parse.GetValue(text)!;
            using var classifier = TextClassifier.Load(HubDownloads.Model(parse.GetValue(model), parse.GetValue(modelRevision)), DeviceChoice.Resolve(null, parse.GetValue(device)!));
            foreach (var w in classifier.Report.Warnings) Console.Error.WriteLine($"warning: {w}");
            if (classifier.Report.UnusedKeys.Count > 0)
                Console.Error.WriteLine($"note: {classifier.Report.UnusedKeys.Count} checkpoint weights are not used by this classifier (e.g. {classifier.Report.UnusedKeys[0]}), as expected for a checkpoint trained on another task");
            if (classifier.Report.HeadIsFresh)
                Console.Error.WriteLine($"warning: {classifier.Folder} has no trained classification head; it was initialised just now, so these predictions mean nothing until the model is fine-tuned");
            var predictions = classifier.Predict(texts, parse.GetValue(batchSize), parse.GetValue(maxLength));

            if (parse.GetValue(output) is FileInfo outFile)
            {
                using var writer = new StreamWriter(outFile.FullName);
                int n = 0;
                foreach (var p in predictions)
                {
                    writer.WriteLine(Json.Serialize(p, indented: false));
                    n++;
                }
                Console.Error.WriteLine($"wrote {n} predictions to {outFile.FullName}");
            }
            else if (parse.GetValue(json))
            {
                Console.WriteLine(Json.Serialize(predictions.ToList()));
            }
            else
            {
                var table = new Table("label", "score", "text");
                foreach (var p in predictions)
                    table.Add(p.Label, p.Scores[p.LabelId].ToString("0.000"), p.Text.Length > 80 ? p.Text[..77] + "..." : p.Text);
                table.Write(Console.Out);
            }
            return Cli.Success;
        });
        return command;
    }

    /// <summary>The texts of an input file, streamed; a missing column names the columns present.</summary>
    static IEnumerable<string> ReadTexts(string path, string column)
    {
        if (!File.Exists(path)) throw new InvalidInputException($"--input {path}: file not found");
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".txt" => File.ReadLines(path).Where(l => l.Length > 0),
            ".csv" => CsvReader.Read(path).Select(r => r.Row.TryGetValue(column, out var t) ? t
                : throw new InvalidInputException($"{path}:{r.Line}: no column '{column}' (columns: {string.Join(", ", r.Row.Keys)}); pass --text-column")),
            ".jsonl" => JsonLinesReader.Read(path).Select(r => Text(r.Row, column, $"{path}:{r.Line}")),
            ".json" => JsonArray(path, column),
            _ => throw new InvalidInputException($"--input {path}: unsupported file type '{extension}' (use .jsonl, .json, .csv or .txt)"),
        };
    }

    static IEnumerable<string> JsonArray(string path, string column)
    {
        var array = JsonNode.Parse(File.ReadAllText(path)) as JsonArray ?? throw new InvalidInputException($"{path}: expected a JSON array of objects or strings");
        return array.Select((node, i) => node switch
        {
            JsonObject o => Text(o, column, $"{path}[{i}]"),
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => throw new InvalidInputException($"{path}[{i}]: expected an object or a string"),
        });
    }

    static string Text(JsonObject row, string column, string where) =>
        row[column] is JsonValue v && v.TryGetValue<string>(out var s) ? s
        : row.ContainsKey(column) ? throw new InvalidInputException($"{where}: '{column}' is not a string")
        : throw new InvalidInputException($"{where}: no field '{column}' (fields: {string.Join(", ", row.Select(kv => kv.Key))}); pass --text-column");
}
