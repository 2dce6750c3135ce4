using System.Text.Json.Nodes;
using FineTune.Core.Arguments;
using FineTune.Core.Reporting;
using YamlDotNet.RepresentationModel;

namespace FineTune.Core.Tests.Training;

/// <summary>The README.md written into every output folder, read back as the hub reads its metadata (YAML front matter).</summary>
public class ModelCardTests
{
    static readonly LogEntry[] History =
    [
        new(10, 0.5, new Dictionary<string, double> { ["loss"] = 1.2, ["learning_rate"] = 4e-5 }),
        new(20, 1, new Dictionary<string, double> { ["loss"] = 0.9 }),
        new(20, 1, new Dictionary<string, double> { ["eval_loss"] = 0.8, ["eval_accuracy"] = 0.61, ["eval_f1_macro"] = 0.55 }),
        new(40, 2, new Dictionary<string, double> { ["eval_loss"] = 0.7, ["eval_accuracy"] = 0.66, ["eval_f1_macro"] = 0.6 }),
    ];

    static readonly JsonObject Eval = new() { ["epoch"] = 2, ["eval_loss"] = 0.7, ["eval_accuracy"] = 0.66, ["eval_f1_macro"] = 0.6 };

    static (YamlMappingNode Meta, string Body) Parse(string card)
    {
        Assert.StartsWith("---\n", card);
        var end = card.IndexOf("\n---\n", 4, StringComparison.Ordinal);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(card[4..end]));
        return ((YamlMappingNode)yaml.Documents[0].RootNode, card[(end + 5)..]);
    }

    [Fact]
    public void A_hub_job_card_names_base_model_dataset_and_the_eval_results_in_its_model_index()
    {
        var sources = new JsonObject
        {
            ["model"] = new JsonObject { ["id"] = "google-bert/bert-base-cased", ["revision"] = "main", ["commit"] = new string('a', 40) },
            ["dataset"] = new JsonObject { ["id"] = "Yelp/yelp_review_full", ["revision"] = "main", ["commit"] = new string('b', 40) },
        };
        var args = new TrainingArguments { Model = "google-bert/bert-base-cased", Dataset = "Yelp/yelp_review_full", LearningRate = 2e-5, NumTrainEpochs = 2 };
        var (meta, body) = Parse(ModelCard.Render(new ModelCardFacts(args, "test", WorldSize: 2, History, Eval, sources)));

        Assert.Equal("google-bert/bert-base-cased", meta["base_model"].ToString());
        Assert.Equal(["Yelp/yelp_review_full"], ((YamlSequenceNode)meta["datasets"]).Select(n => n.ToString()));
        Assert.Contains("generated_from_trainer", ((YamlSequenceNode)meta["tags"]).Select(n => n.ToString()));
        var index = (YamlMappingNode)((YamlSequenceNode)meta["model-index"])[0];
        Assert.Equal("test", index["name"].ToString());
        var result = (YamlMappingNode)((YamlSequenceNode)index["results"])[0];
        Assert.Equal("text-classification", ((YamlMappingNode)result["task"])["type"].ToString());
        var accuracy = ((YamlSequenceNode)result["metrics"]).Cast<YamlMappingNode>().Single(m => m["type"].ToString() == "accuracy");
        Assert.Equal(0.66, double.Parse(accuracy["value"].ToString(), System.Globalization.CultureInfo.InvariantCulture));

        Assert.Contains("# test\n", body);
        Assert.Contains("- learning_rate: 2E-05\n", body);
        Assert.Contains("- num_devices: 2\n- total_train_batch_size: 16\n", body);
        Assert.Contains("| 0.9000 | 1 | 20 | 0.8000 | 0.6100 | 0.5500 |\n| 0.9000 | 2 | 40 | 0.7000 | 0.6600 | 0.6000 |\n", body);
        Assert.Contains($"- model: google-bert/bert-base-cased at revision main, commit {new string('a', 40)}\n", body);
        Assert.Contains("- TorchSharp ", body);
    }

    [Fact]
    public void A_local_job_card_has_no_hub_names_and_says_what_it_was_tuned_from()
    {
        var args = new TrainingArguments { Model = "/models/my-bert", Dataset = "/data/reviews.csv" };
        var (meta, body) = Parse(ModelCard.Render(new ModelCardFacts(args, "run", WorldSize: 1, History, Eval, HubSources: null)));
        Assert.False(meta.Children.ContainsKey("base_model"));
        Assert.False(meta.Children.ContainsKey("datasets"));
        Assert.Contains("a fine-tuned version of my-bert on a local dataset.", body);
        Assert.DoesNotContain("num_devices", body);
        var defaultModel = Parse(ModelCard.Render(new ModelCardFacts(new TrainingArguments(), "run", 1, [], new JsonObject(), null)));
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", defaultModel.Meta["base_model"].ToString());
    }
}
