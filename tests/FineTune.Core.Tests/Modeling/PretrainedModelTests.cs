using System.Text.Json.Nodes;
using FineTune.Core.Modeling;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Modeling;

[Collection(FineTune.Core.Tests.Training.TorchGlobalState.Name)]
public class PretrainedModelTests
{
    static (Tensor Ids, Tensor Mask, Tensor Types) Batch()
    {
        var ids = tensor(new long[] { 2, 5, 6, 7, 8, 3, 0, 0, 2, 5, 6, 7, 9, 13, 14, 3 }, [2, 8]);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 8]);
        return (ids, mask, zeros_like(ids));
    }

    static float[] Logits(SequenceClassifier model)
    {
        model.eval();
        var (ids, mask, types) = Batch();
        using var _ = no_grad();
        return model.call(ids, mask, types).data<float>().ToArray();
    }

    [Fact]
    public void Parameter_names_are_hugging_face_names()
    {
        var model = PretrainedModel.CreateRandom(TinyModels.Config(), seed: 1);
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.Contains("bert.embeddings.word_embeddings.weight", names);
        Assert.Contains("bert.embeddings.position_embeddings.weight", names);
        Assert.Contains("bert.embeddings.token_type_embeddings.weight", names);
        Assert.Contains("bert.embeddings.LayerNorm.weight", names);
        Assert.Contains("bert.encoder.layer.1.attention.self.query.weight", names);
        Assert.Contains("bert.encoder.layer.1.attention.output.dense.bias", names);
        Assert.Contains("bert.encoder.layer.1.attention.output.LayerNorm.bias", names);
        Assert.Contains("bert.encoder.layer.1.intermediate.dense.weight", names);
        Assert.Contains("bert.encoder.layer.1.output.dense.weight", names);
        Assert.Contains("bert.encoder.layer.1.output.LayerNorm.weight", names);
        Assert.Contains("bert.pooler.dense.weight", names);
        Assert.Contains("classifier.weight", names);
        Assert.Contains("classifier.bias", names);
        Assert.Equal(5 + 16 * 2 + 2 + 2, names.Count);
    }

    [Fact]
    public void Save_then_load_gives_bit_identical_logits()
    {
        var dir = TinyModels.TempDir();
        var original = TinyModels.WriteFolder(dir, labels: ["neg", "pos"]);
        var (loaded, report) = PretrainedModel.Load(dir);
        Assert.Empty(report.NewlyInitialized);
        Assert.Empty(report.UnusedKeys);
        Assert.False(report.HeadIsFresh);
        Assert.Equal(["neg", "pos"], loaded.Config.Id2Label);
        Assert.Equal(Logits(original), Logits(loaded)); // exact float equality
    }

    [Fact]
    public void Bare_encoder_checkpoint_loads_and_reports_the_fresh_head()
    {
        var dir = TinyModels.TempDir();
        var source = TinyModels.WriteFolder(dir, bareEncoderKeys: true);
        var (model, report) = PretrainedModel.Load(dir, labels: ["a", "b", "c"]);
        Assert.Equal(["classifier.weight", "classifier.bias"], report.NewlyInitialized);
        Assert.True(report.HeadIsFresh);
        // The encoder weights came from the checkpoint, without the "bert." prefix.
        var expected = source.named_parameters().First(p => p.name == "bert.encoder.layer.0.attention.self.query.weight").parameter;
        var actual = model.named_parameters().First(p => p.name == "bert.encoder.layer.0.attention.self.query.weight").parameter;
        Assert.True(expected.equal(actual).all().item<bool>());
        Assert.Equal([3L, 16L], model.named_parameters().First(p => p.name == "classifier.weight").parameter.shape);
    }

    [Fact]
    public void Fresh_head_is_identical_for_the_same_seed_and_differs_for_another()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir, bareEncoderKeys: true);
        Tensor Head(long seed) => PretrainedModel.Load(dir, seed: seed).Model.named_parameters().First(p => p.name == "classifier.weight").parameter;
        Assert.True(Head(42).equal(Head(42)).all().item<bool>());
        Assert.False(Head(42).equal(Head(43)).all().item<bool>());
        var std = Head(42).std().item<float>();
        Assert.InRange(std, 0.01f, 0.03f); // N(0, initializer_range = 0.02)
    }

    [Fact]
    public void Head_with_another_label_count_is_reinitialised_with_a_warning()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir, labels: ["neg", "pos"]);
        var (model, report) = PretrainedModel.Load(dir, labels: ["1", "2", "3", "4", "5"]);
        Assert.Contains("classifier.weight", report.NewlyInitialized);
        Assert.Contains(report.Warnings, w => w.Contains("'classifier.weight' has shape [2, 16]") && w.Contains("re-initialised for 5 labels"));
        Assert.Equal(5, model.Config.NumLabels);
    }

    [Fact]
    public void Legacy_gamma_beta_names_and_position_ids_are_accepted()
    {
        var dir = TinyModels.TempDir();
        var source = TinyModels.WriteFolder(dir);
        var path = Path.Combine(dir, "model.safetensors");
        var tensors = SafeTensors.Read(path).Values
            .Select(t => t.Name.EndsWith("LayerNorm.weight") ? t with { Name = t.Name.Replace("LayerNorm.weight", "LayerNorm.gamma") }
                       : t.Name.EndsWith("LayerNorm.bias") ? t with { Name = t.Name.Replace("LayerNorm.bias", "LayerNorm.beta") } : t)
            .Append(new NamedTensor("bert.embeddings.position_ids", [1, 64], new float[64]))
            .Append(new NamedTensor("cls.predictions.bias", [25], new float[25]))
            .ToList();
        SafeTensors.Write(path, tensors);
        var (model, report) = PretrainedModel.Load(dir);
        Assert.Empty(report.NewlyInitialized);
        Assert.Equal(["cls.predictions.bias"], report.UnusedKeys);
        Assert.Equal(Logits(source), Logits(model));
    }

    [Fact]
    public void Shape_mismatch_in_the_encoder_is_an_error_naming_the_key()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir);
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        config["intermediate_size"] = 48;
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        var e = Assert.Throws<ModelFormatException>(() => PretrainedModel.Load(dir));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("intermediate.dense.weight' has shape [32, 16] but the model built from config.json expects [48, 16]", e.Message);
    }

    [Fact]
    public void Truncated_or_corrupt_safetensors_is_a_clear_error()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir);
        var path = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<ModelFormatException>(() => PretrainedModel.Load(dir));
        Assert.Contains("truncated", e.Message);

        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        e = Assert.Throws<ModelFormatException>(() => PretrainedModel.Load(dir));
        Assert.Contains("header length", e.Message);
    }

    [Theory]
    [InlineData("BF16")]
    [InlineData("F16")]
    public void Half_precision_checkpoints_load(string dtype)
    {
        var dir = TinyModels.TempDir();
        var source = TinyModels.WriteFolder(dir);
        var path = Path.Combine(dir, "model.safetensors");
        var tensors = SafeTensors.Read(path).Values.ToList();
        SafeTensorsTestWriter.Write(path, tensors, dtype);
        var (model, _) = PretrainedModel.Load(dir);
        var a = Logits(source);
        var b = Logits(model);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 0.05f); // bf16 keeps ~3 significant digits, f16 more
    }

    [Fact]
    public void Sharded_safetensors_load()
    {
        var dir = TinyModels.TempDir();
        var source = TinyModels.WriteFolder(dir);
        var path = Path.Combine(dir, "model.safetensors");
        var tensors = SafeTensors.Read(path).Values.ToList();
        File.Delete(path);
        var half = tensors.Count / 2;
        SafeTensors.Write(Path.Combine(dir, "model-00001-of-00002.safetensors"), tensors.Take(half));
        SafeTensors.Write(Path.Combine(dir, "model-00002-of-00002.safetensors"), tensors.Skip(half));
        var map = new JsonObject(tensors.Select((t, i) => KeyValuePair.Create(t.Name, (JsonNode?)(i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors"))));
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());
        var (model, report) = PretrainedModel.Load(dir);
        Assert.EndsWith("model.safetensors.index.json", report.WeightsFile);
        Assert.Equal(Logits(source), Logits(model));
    }

    [Fact]
    public void Pytorch_bin_checkpoints_load()
    {
        var dir = TinyModels.TempDir();
        var source = TinyModels.WriteFolder(dir);
        File.Delete(Path.Combine(dir, "model.safetensors"));
        // torch.save format (zip + pickle), written by TorchSharp.PyBridge as Python would.
        TorchSharp.PyBridge.PyBridgeModuleExtensions.save_py(source, Path.Combine(dir, "pytorch_model.bin"));
        var (model, report) = PretrainedModel.Load(dir);
        Assert.EndsWith("pytorch_model.bin", report.WeightsFile);
        Assert.Empty(report.NewlyInitialized);
        Assert.Equal(Logits(source), Logits(model));
    }

    [Fact]
    public void Dropout_only_in_training_mode()
    {
        var model = PretrainedModel.CreateRandom(TinyModels.Config(), seed: 3);
        Assert.Equal(Logits(model), Logits(model));
        model.train();
        var (ids, mask, types) = Batch();
        using var _ = no_grad();
        var a = model.call(ids, mask, types).data<float>().ToArray();
        var b = model.call(ids, mask, types).data<float>().ToArray();
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Padding_does_not_change_the_unpadded_rows_logits()
    {
        var model = PretrainedModel.CreateRandom(TinyModels.Config(), seed: 5);
        model.eval();
        using var _ = no_grad();
        var shortIds = tensor(new long[] { 2, 5, 6, 7, 8, 3 }, [1, 6]);
        var alone = model.call(shortIds, ones_like(shortIds), zeros_like(shortIds)).data<float>().ToArray();
        var (ids, mask, types) = Batch();
        var padded = model.call(ids, mask, types)[0].data<float>().ToArray();
        for (int i = 0; i < alone.Length; i++) Assert.Equal(alone[i], padded[i], 1e-5f);
    }
}
