using System.Text.Json;
using FineTune.Core.Tests.Modeling;

namespace FineTune.Cluster.Tests.Cli;

/// <summary>The `finetune tokenize` and `predict` commands, run as real processes on tiny model folders.</summary>
public class CliTests
{
    [Fact]
    public void Tokenize_json_has_the_contract_fields()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir);
        var r = FinetuneProcess.Run("tokenize", "--model", dir, "--text", "The food was great!", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(["[CLS]", "the", "food", "was", "great", "!", "[SEP]"], root.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([2, 5, 6, 7, 8, 13, 3], root.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.All(root.GetProperty("attention_mask").EnumerateArray(), e => Assert.Equal(1, e.GetInt32()));
        Assert.All(root.GetProperty("token_type_ids").EnumerateArray(), e => Assert.Equal(0, e.GetInt32()));
    }

    [Fact]
    public void Tokenize_pairs_padding_and_several_texts()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir);
        var r = FinetuneProcess.Run("tokenize", "--model", dir, "--text", "good food", "bad service", "--text-pair", "i love it", "--max-length", "12", "--padding", "max_length", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
        var first = doc.RootElement[0];
        Assert.Equal(["[CLS]", "good", "food", "[SEP]", "i", "love", "it", "[SEP]", "[PAD]", "[PAD]", "[PAD]", "[PAD]"], first.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0], first.GetProperty("token_type_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0], first.GetProperty("attention_mask").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Predict_json_gives_labels_scores_and_logits()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir, labels: ["negative", "positive"]);
        var r = FinetuneProcess.Run("predict", "--model", dir, "--text", "the food was great", "i hate it", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("warning", r.Stderr); // a trained head: no warning
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
        foreach (var p in doc.RootElement.EnumerateArray())
        {
            var scores = p.GetProperty("scores").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var logits = p.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(2, scores.Length);
            Assert.Equal(1.0, scores.Sum(), 1e-5);
            var id = p.GetProperty("label_id").GetInt32();
            Assert.Equal(Array.IndexOf(logits, logits.Max()), id);
            Assert.Equal(new[] { "negative", "positive" }[id], p.GetProperty("label").GetString());
        }
        Assert.Equal("i hate it", doc.RootElement[1].GetProperty("text").GetString());
    }

    [Fact]
    public void Predict_from_a_file_streams_jsonl_in_input_order()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir);
        var input = Path.Combine(dir, "texts.csv");
        File.WriteAllText(input, "id,review\n1,\"the food, was great\"\n2,bad\n3,\"i love it\nand the service\"\n");
        var output = Path.Combine(dir, "out.jsonl");
        var r = FinetuneProcess.Run("predict", "--model", dir, "--input", input, "--text-column", "review", "--output", output, "--batch-size", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["the food, was great", "bad", "i love it\nand the service"], lines.Select(l => l.GetProperty("text").GetString()));
        Assert.All(lines, l => Assert.StartsWith("LABEL_", l.GetProperty("label").GetString()));
    }

    [Fact]
    public void Predict_warns_when_the_head_was_just_initialised()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir, bareEncoderKeys: true);
        var r = FinetuneProcess.Run("predict", "--model", dir, "--text", "good", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var warning = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("predictions mean nothing until the model is fine-tuned", warning);
        JsonDocument.Parse(r.Stdout); // stdout is still pure JSON
    }

    [Fact]
    public void Human_output_is_a_table()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir);
        var r = FinetuneProcess.Run("predict", "--model", dir, "--text", "the food was great");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith("label", r.Stdout);
        Assert.Contains("the food was great", r.Stdout);
    }
}
