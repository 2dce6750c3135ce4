namespace FineTune.Core.Modeling.Pretrained;

/// <summary>
/// The parameter names of Hugging Face's <c>BertModel</c> (without the <c>bert.</c> prefix that
/// <c>BertForSequenceClassification</c> adds), in module order: 5 + 16 per layer + 2.
/// </summary>
public static class BertParameterNames
{
    public static IReadOnlyList<string> For(int layers)
    {
        var names = new List<string>
        {
            "embeddings.word_embeddings.weight",
            "embeddings.position_embeddings.weight",
            "embeddings.token_type_embeddings.weight",
            "embeddings.LayerNorm.weight",
            "embeddings.LayerNorm.bias",
        };
        string[] modules =
        [
            "attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "attention.output.LayerNorm",
            "intermediate.dense", "output.dense", "output.LayerNorm",
        ];
        for (var layer = 0; layer < layers; layer++)
            foreach (var module in modules)
            {
                names.Add($"encoder.layer.{layer}.{module}.weight");
                names.Add($"encoder.layer.{layer}.{module}.bias");
            }
        names.Add("pooler.dense.weight");
        names.Add("pooler.dense.bias");
        return names;
    }
}
