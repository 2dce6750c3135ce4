using System.Text.Json.Nodes;
using FineTune.Core.Modeling.Bert;

namespace FineTune.Core.Modeling;

/// <summary>config.json's model_type picks the family (as Hugging Face's Auto classes do; "architectures" is not trusted).</summary>
public static class ModelFactory
{
    public static readonly string[] SupportedModelTypes = ["bert"];

    public static ModelConfig ReadConfig(string configPath)
    {
        var raw = ModelConfig.ReadJson(configPath);
        var type = raw["model_type"]?.ToString();
        return type switch
        {
            "bert" => new BertConfig(raw, configPath),
            null => throw new ModelFormatException(configPath, "no model_type: cannot tell which architecture this is"),
            _ => throw new ModelFormatException(configPath, $"model_type '{type}' is not supported (supported: {string.Join(", ", SupportedModelTypes)})"),
        };
    }

    public static SequenceClassifier CreateClassifier(ModelConfig config) => config switch
    {
        BertConfig bert => new BertForSequenceClassification(bert),
        _ => throw new ArgumentException($"no classifier for model_type '{config.ModelType}'"),
    };

    internal static JsonObject Clone(JsonObject o) => (JsonObject)o.DeepClone();
}
