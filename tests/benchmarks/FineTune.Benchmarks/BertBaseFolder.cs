using System.Diagnostics;
using System.Text.Json.Nodes;
using FineTune.Core.Modeling;
using FineTune.Core.Modeling.Bert;
using FineTune.Core.Modeling.Pretrained;
using FineTune.Core.Tokenization;

/// <summary>
/// `bert-base-folder DIR`: a Hugging Face model folder shaped like bert-base-cased (12 layers, hidden 768, 12 heads,
/// intermediate 3072, 512 positions, 2 token types; 110 M parameters) with random weights, since no such checkpoint is
/// available offline. The vocabulary and tokenizer files are the default model's, and vocab_size matches them. Written
/// with the project's own writers (config.json, model.safetensors, tokenizer files), so it loads as any user's folder.
/// </summary>
static class BertBaseFolder
{
    public static void Run(string[] argv)
    {
        var dir = Path.GetFullPath(argv.Length > 0 ? argv[0] : throw new ArgumentException("usage: bert-base-folder DIR"));
        var clock = Stopwatch.StartNew();
        var source = DefaultModel.EnsureFolder();
        var raw = ModelConfig.ReadJson(Path.Combine(source, "config.json"));
        raw["hidden_size"] = 768;
        raw["num_hidden_layers"] = 12;
        raw["num_attention_heads"] = 12;
        raw["intermediate_size"] = 3072;
        raw["max_position_embeddings"] = 512;
        raw["type_vocab_size"] = 2;
        raw["hidden_act"] = "gelu";
        raw["_name_or_path"] = "bert-base-cased-shaped (random weights)";
        var tokenizer = BertTokenizer.FromFolder(source);
        raw["vocab_size"] = tokenizer.Vocab.Count;
        var config = new BertConfig(raw);
        using var model = PretrainedModel.CreateRandom(config, 42);
        ModelFolder.Save(model, tokenizer, dir);
        long parameters = model.parameters().Sum(p => p.numel());
        long bytes = new FileInfo(Path.Combine(dir, "model.safetensors")).Length;
        Console.WriteLine($"{dir}: {parameters:N0} parameters, model.safetensors {bytes / 1e6:F0} MB, written in {clock.Elapsed.TotalSeconds:F1} s");
    }
}
