using FineTune.Core.Modeling;
using FineTune.Core.Modeling.Bert;
using static TorchSharp.torch;

namespace FineTune.Core.Tests.Pretrained;

/// <summary>
/// Our TorchSharp BertModel on the converted default-model folder against ONNX Runtime running the package's own
/// model.onnx, on the same padded batch: last_hidden_state and pooler_output agree within 1e-4.
/// </summary>
[Collection(DefaultModelCollection.Name)]
public class OnnxParityTests(ConvertedDefaultModel converted)
{
    [Fact]
    public void Bert_matches_onnx_runtime_on_a_padded_batch()
    {
        const int batch = 3, seq = 20;
        var random = new Random(1234);
        var ids = new long[batch * seq];
        var mask = new long[batch * seq];
        var types = new long[batch * seq];
        int[] lengths = [20, 13, 6]; // rows 1 and 2 are padded
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < lengths[b]; t++)
            {
                int i = b * seq + t;
                ids[i] = t == 0 ? 101 : t == lengths[b] - 1 ? 102 : random.Next(1000, 30522);
                mask[i] = 1;
                types[i] = b == 0 && t >= 10 ? 1 : 0; // a pair in row 0
            }

        using var onnx = new OnnxReference();
        var expected = onnx.Run(ids, mask, types, batch, seq);

        var (model, report) = PretrainedModel.Load(converted.Folder);
        Assert.Equal(["classifier.weight", "classifier.bias"], report.NewlyInitialized);
        Assert.Empty(report.UnusedKeys);
        var bert = ((BertForSequenceClassification)model).Bert;
        using var _ = no_grad();
        var (hidden, pooled) = bert.call(tensor(ids, [batch, seq]), tensor(mask, [batch, seq]), tensor(types, [batch, seq]));

        Assert.Equal(expected.LastHiddenStateShape, hidden.shape);
        Assert.Equal(expected.PoolerOutputShape, pooled.shape);
        var hiddenDiff = MaxAbsDiff(expected.LastHiddenState, hidden.data<float>().ToArray());
        var pooledDiff = MaxAbsDiff(expected.PoolerOutput, pooled.data<float>().ToArray());
        Assert.True(hiddenDiff < 1e-4, $"last_hidden_state differs by {hiddenDiff}");
        Assert.True(pooledDiff < 1e-4, $"pooler_output differs by {pooledDiff}");
    }

    static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
