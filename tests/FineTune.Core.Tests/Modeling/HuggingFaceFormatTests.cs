using System.Buffers.Binary;
using System.Text.Json;
using FineTune.Core.Modeling;

namespace FineTune.Core.Tests.Modeling;

/// <summary>
/// Reads a saved folder with parsers independent of the product's (plain JSON, a hand-rolled safetensors header reader)
/// and checks it is exactly what Hugging Face transformers writes for BertForSequenceClassification.
/// </summary>
public class HuggingFaceFormatTests
{
    [Fact]
    public void Saved_folder_follows_the_hugging_face_format()
    {
        var dir = TinyModels.TempDir();
        var model = TinyModels.WriteFolder(dir, labels: ["negative", "positive", "neutral"]);

        // config.json
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
        var root = config.RootElement;
        Assert.Equal("bert", root.GetProperty("model_type").GetString());
        Assert.Equal(["BertForSequenceClassification"], root.GetProperty("architectures").EnumerateArray().Select(e => e.GetString()));
        var id2label = root.GetProperty("id2label");
        Assert.Equal("negative", id2label.GetProperty("0").GetString()); // keys are strings of ints
        Assert.Equal("neutral", id2label.GetProperty("2").GetString());
        Assert.Equal(1, root.GetProperty("label2id").GetProperty("positive").GetInt32());
        Assert.Equal(16, root.GetProperty("hidden_size").GetInt32());
        Assert.Equal(2, root.GetProperty("num_hidden_layers").GetInt32());
        Assert.Equal("float32", root.GetProperty("torch_dtype").GetString());

        // model.safetensors header: u64 length, JSON, 8-byte aligned data, contiguous offsets, F32 only.
        var bytes = File.ReadAllBytes(Path.Combine(dir, "model.safetensors"));
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var entries = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Select(p => (p.Name, Dtype: p.Value.GetProperty("dtype").GetString(),
                Shape: p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                Begin: p.Value.GetProperty("data_offsets")[0].GetInt64(), End: p.Value.GetProperty("data_offsets")[1].GetInt64()))
            .OrderBy(e => e.Begin).ToList();
        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.All(entries, e => Assert.Equal("F32", e.Dtype));
        long expected = 0;
        foreach (var e in entries)
        {
            Assert.Equal(expected, e.Begin);
            Assert.Equal(e.Shape.Aggregate(4L, (a, b) => a * b), e.End - e.Begin);
            expected = e.End;
        }
        Assert.Equal(bytes.Length, 8 + headerLength + expected);

        var shapes = entries.ToDictionary(e => e.Name, e => e.Shape);
        var hf = new Dictionary<string, long[]>
        {
            ["bert.embeddings.word_embeddings.weight"] = [TinyModels.Vocab.Length, 16],
            ["bert.embeddings.position_embeddings.weight"] = [64, 16],
            ["bert.embeddings.token_type_embeddings.weight"] = [2, 16],
            ["bert.embeddings.LayerNorm.weight"] = [16],
            ["bert.embeddings.LayerNorm.bias"] = [16],
            ["bert.pooler.dense.weight"] = [16, 16],
            ["bert.pooler.dense.bias"] = [16],
            ["classifier.weight"] = [3, 16],
            ["classifier.bias"] = [3],
        };
        for (int i = 0; i < 2; i++)
        {
            var l = $"bert.encoder.layer.{i}.";
            foreach (var n in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                hf[l + n + ".weight"] = [16, 16];
                hf[l + n + ".bias"] = [16];
            }
            hf[l + "attention.output.LayerNorm.weight"] = [16];
            hf[l + "attention.output.LayerNorm.bias"] = [16];
            hf[l + "intermediate.dense.weight"] = [32, 16]; // Linear weights are [out, in], as in PyTorch
            hf[l + "intermediate.dense.bias"] = [32];
            hf[l + "output.dense.weight"] = [16, 32];
            hf[l + "output.dense.bias"] = [16];
            hf[l + "output.LayerNorm.weight"] = [16];
            hf[l + "output.LayerNorm.bias"] = [16];
        }
        Assert.Equal(hf.Keys.Order(), shapes.Keys.Order());
        foreach (var (name, shape) in hf) Assert.Equal(shape, shapes[name]);

        // The data is the model's, byte for byte.
        var query = entries.Single(e => e.Name == "bert.encoder.layer.1.attention.self.query.weight");
        var floats = new float[256];
        Buffer.BlockCopy(bytes, (int)(8 + headerLength + query.Begin), floats, 0, 1024);
        var actual = model.named_parameters().Single(p => p.name == query.Name).parameter.data<float>().ToArray();
        Assert.Equal(actual, floats);
    }
}
