using System.CommandLine;
using FineTune.Core.Modeling;
using FineTune.Core.Tokenization;

namespace FineTune.Cli.Commands;

/// <summary>finetune tokenize [--model DIR] --text T ... [--text-pair T2] [--max-length N] [--padding max_length] [--json]</summary>
public static class TokenizeCommand
{
    sealed record TokenizeOutput(string[] Tokens, int[] InputIds, int[] AttentionMask, int[] TokenTypeIds);

    public static Command Create()
    {
        var model = CommonOptions.Model();
        var modelRevision = CommonOptions.ModelRevision();
        var text = new Option<string[]>("--text") { Description = "text to tokenize (repeatable)", Required = true, AllowMultipleArgumentsPerToken = true };
        var pair = new Option<string?>("--text-pair") { Description = "second segment (token type 1), applied to every --text" };
        var maxLength = new Option<int?>("--max-length") { Description = "truncate to N tokens, special tokens included (default: the model's maximum)" };
        var padding = new Option<string>("--padding") { Description = "do_not_pad (default) or max_length", DefaultValueFactory = _ => "do_not_pad" };
        padding.AcceptOnlyFromAmong("do_not_pad", "max_length", "dynamic");
        var json = CommonOptions.Json();

        var command = new Command("tokenize", "Show how a model's tokenizer splits text into word pieces and ids") { model, modelRevision, text, pair, maxLength, padding, json };
        command.SetAction(parse =>
        {
            var folder = ModelFolder.Resolve(HubDownloads.Model(parse.GetValue(model), parse.GetValue(modelRevision)));
            var tokenizer = BertTokenizer.FromFolder(folder);
            var max = parse.GetValue(maxLength) ?? tokenizer.Options.ModelMaxLength;
            if (max < 2) throw new Core.InvalidInputException($"--max-length must be at least 2 ([CLS] and [SEP]), got {max}");
            int? padTo = parse.GetValue(padding) == "max_length" ? max : null;
            var encodings = parse.GetValue(text)!
                .Select(t => tokenizer.Encode(t, parse.GetValue(pair), max, padTo))
                .Select(e => new TokenizeOutput(e.Tokens, e.InputIds, e.AttentionMask, e.TokenTypeIds))
                .ToList();

            if (parse.GetValue(json))
            {
                Console.WriteLine(encodings.Count == 1 ? Json.Serialize(encodings[0]) : Json.Serialize(encodings));
                return Cli.Success;
            }
            foreach (var e in encodings)
            {
                var table = new Table("position", "token", "input_id", "attention_mask", "token_type_id");
                for (int i = 0; i < e.InputIds.Length; i++)
                    table.Add(i.ToString(), e.Tokens[i], e.InputIds[i].ToString(), e.AttentionMask[i].ToString(), e.TokenTypeIds[i].ToString());
                table.Write(Console.Out);
                Console.WriteLine($"{e.InputIds.Length} tokens");
                Console.WriteLine();
            }
            return Cli.Success;
        });
        return command;
    }
}
