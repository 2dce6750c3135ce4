using FineTune.Core.Inference;
using FineTune.Core.Modeling;
using FineTune.Core.Tokenization;

namespace FineTune.Core.Tests.Modeling;

public class ModelFolderTests
{
    [Fact]
    public void A_saved_folder_loads_back_with_identical_predictions_and_tokenizer()
    {
        var source = TinyModels.TempDir();
        TinyModels.WriteFolder(source, labels: ["neg", "pos"]);
        using var original = TextClassifier.Load(source);

        var copy = TinyModels.TempDir();
        ModelFolder.Save(original.Model, original.Tokenizer, copy);
        Assert.True(File.Exists(Path.Combine(copy, "vocab.txt")));
        Assert.True(File.Exists(Path.Combine(copy, "tokenizer_config.json")));
        Assert.True(File.Exists(Path.Combine(copy, "special_tokens_map.json")));
        using var reloaded = TextClassifier.Load(copy);

        string[] texts = ["the food was great !", "bad service , not good", "i love it"];
        var a = original.Predict(texts).ToList();
        var b = reloaded.Predict(texts).ToList();
        Assert.Equal(a.Select(p => p.Logits), b.Select(p => p.Logits));
        Assert.Equal(["neg", "pos"], reloaded.Labels);
        Assert.Equal(original.Tokenizer.Vocab, reloaded.Tokenizer.Vocab);
        Assert.Equal(original.Tokenizer.Options, reloaded.Tokenizer.Options);
    }

    [Fact]
    public void Default_means_the_bundled_model_and_hub_ids_get_a_clear_message()
    {
        var e = Assert.Throws<InvalidInputException>(() => ModelFolder.Resolve("google-bert/bert-base-cased"));
        Assert.Equal("--model google-bert/bert-base-cased: no such folder, and this hub id was not downloaded (HubInputs resolves ids before a folder is read)", e.Message);
        e = Assert.Throws<InvalidInputException>(() => ModelFolder.Resolve("/no/such/dir"));
        Assert.Contains("folder not found", e.Message);
    }

    [Fact]
    public void Predictions_keep_input_order_across_length_sorted_batches()
    {
        var dir = TinyModels.TempDir();
        TinyModels.WriteFolder(dir);
        using var classifier = TextClassifier.Load(dir);
        string[] texts = ["a b c a b c a b c", "a", "the food", "i love it !", "b"];
        var batched = classifier.Predict(texts, batchSize: 2).ToList();
        Assert.Equal(texts, batched.Select(p => p.Text));
        foreach (var (text, p) in texts.Zip(batched))
        {
            var alone = classifier.Predict([text], batchSize: 1).Single();
            for (int i = 0; i < p.Logits.Length; i++) Assert.Equal(alone.Logits[i], p.Logits[i], 1e-5f); // padding changes nothing
        }
    }
}
